package dev.align.constitutional;

import dev.align.core.inference.InferenceModel;
import dev.align.core.inference.InferenceModel.Reply;
import dev.align.core.inference.ReplySettings;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Requests sent with as many few-shot demonstrations as fit the model's context: each row starts with its most, and
 * a request that does not fit ({@code too_long}, or NaN option log-probs) is sent again with one fewer, down to none.
 * The demonstrations a row ended with are returned beside its answer.
 */
final class FewShot {
    private FewShot() {}

    /** Builds row i's request with k demonstrations. */
    interface Request {
        List<Message> build(int row, int shots);
    }

    /** The shots each row starts with: {@code fewShot} (−1: all), at most the examples it has. */
    static int[] most(int rows, int fewShot, java.util.function.IntUnaryOperator examples) {
        int[] shots = new int[rows];
        for (int i = 0; i < rows; i++) {
            int available = examples.applyAsInt(i);
            shots[i] = fewShot < 0 ? available : Math.min(fewShot, available);
        }
        return shots;
    }

    /**
     * One reply per row; {@code shots} holds each row's starting demonstrations and is lowered in place to those its
     * reply was given with. A row that does not fit even without demonstrations gets a {@code too_long} reply.
     */
    static List<Reply> replies(InferenceModel model, int[] rows, Request request, int[] shots, ReplySettings settings) {
        return fitted(rows, request, shots, conversations -> model.reply(conversations, settings), r -> !r.answered());
    }

    /** Option log-probs per row, as {@link #replies}: a row whose question does not fit even without demonstrations is NaN. */
    static List<double[]> optionLogProbs(InferenceModel model, int[] rows, Request request, int[] shots, List<String> options) {
        return fitted(rows, request, shots, conversations -> model.optionLogProbs(conversations, options), s -> Double.isNaN(s[0]));
    }

    /** Sends every pending row's request, and again with one fewer demonstration those whose answer did not fit. */
    private static <T> List<T> fitted(int[] rows, Request request, int[] shots, Function<List<List<Message>>, List<T>> call,
            Predicate<T> tooLong) {
        List<T> out = new ArrayList<>(java.util.Collections.nCopies(rows.length, null));
        List<Integer> pending = new ArrayList<>();
        for (int j = 0; j < rows.length; j++) pending.add(j);
        while (!pending.isEmpty()) {
            List<List<Message>> conversations = new ArrayList<>();
            for (int j : pending) conversations.add(request.build(rows[j], shots[j]));
            List<T> answers = call.apply(conversations);
            List<Integer> retry = new ArrayList<>();
            for (int k = 0; k < pending.size(); k++) {
                int j = pending.get(k);
                if (tooLong.test(answers.get(k)) && shots[j] > 0) {
                    shots[j]--;
                    retry.add(j);
                } else {
                    out.set(j, answers.get(k));
                }
            }
            pending = retry;
        }
        return out;
    }
}
