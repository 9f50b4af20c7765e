package dev.align.dpo;

import ai.djl.ndarray.NDArray;
import dev.align.core.model.Scalars;

/**
 * The DPO family's losses as pure functions of the log-ratio difference
 *
 * <pre>  h = [log π(y_w|x) − log π_ref(y_w|x)] − [log π(y_l|x) − log π_ref(y_l|x)]</pre>
 *
 * for each pair (B), matching TRL's {@code DPOTrainer.dpo_loss}. Each returns per-pair losses (B).
 */
public final class DpoLoss {
    private DpoLoss() {}

    /**
     * DPO (Rafailov et al. 2023, eq. 7), with cDPO's label smoothing ε (Mitchell 2023):
     *
     * <pre>  −(1−ε) log σ(β h) − ε log σ(−β h)</pre>
     */
    public static NDArray sigmoid(NDArray h, double beta, double labelSmoothing) {
        return sigmoid(h, beta, Scalars.constant(h, labelSmoothing));
    }

    /**
     * cDPO with a label smoothing per pair (Mitchell 2023), for soft labels: ε_i = 1 − p_i where p_i is
     * the probability that pair i's chosen response is the better one (AI feedback), so the target of
     * the implicit preference σ(β h_i) is p_i:
     *
     * <pre>  loss_i = −(1−ε_i) log σ(β h_i) − ε_i log σ(−β h_i),   ∂loss_i/∂h_i = β (σ(β h_i) − (1−ε_i))</pre>
     *
     * ε_i = 0 is plain DPO; ε_i = ½ pulls h_i to 0; ε_i > ½ (a label below ½) prefers the row's rejected side.
     *
     * @param labelSmoothing ε_i, (B), or a 0-dim array for one ε for every pair
     */
    public static NDArray sigmoid(NDArray h, double beta, NDArray labelSmoothing) {
        NDArray x = h.mul(Scalars.constant(h, beta)); // (B)
        NDArray keep = labelSmoothing.neg().add(1f); // 1 − ε
        return logSigmoid(x).mul(keep).add(logSigmoid(x.neg()).mul(labelSmoothing)).neg();
    }

    /**
     * IPO (Azar et al. 2023, eq. 17), on length-normalised log-probs as TRL computes them:
     *
     * <pre>  (h − 1/(2β))²</pre>
     */
    public static NDArray ipo(NDArray h, double beta) {
        return h.sub((float) (1 / (2 * beta))).square();
    }

    /** SLiC's hinge loss (Zhao et al. 2023): {@code max(0, 1 − β h)}. */
    public static NDArray hinge(NDArray h, double beta) {
        NDArray margin = h.mul(Scalars.constant(h, -beta)).add(1f);
        return margin.maximum(Scalars.constant(margin, 0));
    }

    /**
     * Robust DPO (Chowdhury et al. 2024, eq. 8), unbiased under label noise ε:
     *
     * <pre>  [−(1−ε) log σ(β h) + ε log σ(−β h)] / (1 − 2ε)</pre>
     */
    public static NDArray robust(NDArray h, double beta, double labelSmoothing) {
        NDArray x = h.mul(Scalars.constant(h, beta));
        return logSigmoid(x).mul(Scalars.constant(x, -(1 - labelSmoothing))).add(logSigmoid(x.neg()).mul(Scalars.constant(x, labelSmoothing)))
                .div(Scalars.constant(x, 1 - 2 * labelSmoothing));
    }

    public static NDArray of(DpoConfig.LossType type, NDArray h, double beta, double labelSmoothing) {
        return switch (type) {
            case SIGMOID -> sigmoid(h, beta, labelSmoothing);
            case IPO -> ipo(h, beta);
            case HINGE -> hinge(h, beta);
            case ROBUST -> robust(h, beta, labelSmoothing);
        };
    }

    /** log σ(x) = −softplus(−x), computed stably. */
    static NDArray logSigmoid(NDArray x) {
        return x.minimum(Scalars.constant(x, 0)).sub(x.abs().neg().exp().add(1f).log());
    }
}
