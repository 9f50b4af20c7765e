package dev.align.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** samples.jsonl across a resume, and the metrics plot. */
class RunFilesTest {
    @TempDir Path tmp;

    @Test
    void aResumedRunLogsEachStepOnce() throws Exception {
        SampleLog log = new SampleLog(tmp);
        for (long step : new long[] {1, 6, 11}) log.append(step, List.of(Map.of("completion", "c" + step), Map.of("completion", "d")));
        // resumed from checkpoint 10: the next process logs step 11 again
        SampleLog resumed = new SampleLog(tmp);
        resumed.append(11, List.of(Map.of("completion", "again")));
        resumed.append(16, List.of(Map.of("completion", "later")));
        List<String> lines = Files.readAllLines(tmp.resolve(SampleLog.FILE));
        assertEquals(List.of("{\"step\":1,\"completion\":\"c1\"}", "{\"step\":1,\"completion\":\"d\"}",
                "{\"step\":6,\"completion\":\"c6\"}", "{\"step\":6,\"completion\":\"d\"}",
                "{\"step\":11,\"completion\":\"again\"}", "{\"step\":16,\"completion\":\"later\"}"), lines);
        // a fresh run (first step 1) starts the file over
        new SampleLog(tmp).append(1, List.of(Map.of("completion", "new")));
        assertEquals(List.of("{\"step\":1,\"completion\":\"new\"}"), Files.readAllLines(tmp.resolve(SampleLog.FILE)));
        assertTrue(SampleLog.due(0, 10) && SampleLog.due(20, 10) && !SampleLog.due(5, 10) && !SampleLog.due(0, 0));
    }

    @Test
    void thePlotHasAPanelPerLoggedMetricAndDrawsTheCurve() throws Exception {
        Path metrics = tmp.resolve("metrics.jsonl");
        StringBuilder text = new StringBuilder();
        for (int step = 1; step <= 20; step++) {
            text.append("{\"step\":").append(step).append(",\"reward\":").append(step * 0.05);
            if (step % 10 == 0) text.append(",\"eval/accuracy\":").append(step / 40.0);
            text.append("}\n");
        }
        Files.writeString(metrics, text);
        Path png = tmp.resolve("training.png");
        assertFalse(MetricsPlot.write(metrics, png, "run", List.of("never/logged")));
        assertFalse(Files.exists(png));
        assertTrue(MetricsPlot.write(metrics, png, "run", List.of("reward", "never/logged", "eval/accuracy")));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1040, image.getWidth()); // two panels side by side
        assertEquals(340, image.getHeight()); // one row under the title
        // The reward rises: its line starts low on the left and ends high on the right of the first panel.
        int blue = 0x1f77b4;
        int leftRow = firstRowWith(image, blue, 70, 80), rightRow = firstRowWith(image, blue, 495, 500);
        assertTrue(leftRow > rightRow + 150, "left " + leftRow + " right " + rightRow);
        assertNotEquals(-1, firstRowWith(image, blue, 600, 1000)); // the eval panel has points too
        List<MetricsPlot.Series> read = MetricsPlot.read(metrics, List.of("eval/accuracy"));
        assertEquals(2, read.get(0).steps().length);
    }

    private static int firstRowWith(BufferedImage image, int rgb, int fromX, int toX) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = fromX; x < toX; x++) {
                int p = image.getRGB(x, y) & 0xffffff;
                if (Math.abs((p >> 16) - (rgb >> 16)) < 40 && Math.abs(((p >> 8) & 0xff) - ((rgb >> 8) & 0xff)) < 40
                        && Math.abs((p & 0xff) - (rgb & 0xff)) < 40) {
                    return y;
                }
            }
        }
        return -1;
    }
}
