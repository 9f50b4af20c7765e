package dev.align.evals.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.evals.report.SycophancyReport.Comparison;
import dev.align.evals.report.SycophancyReport.Slice;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The demo report from {@link SyntheticResults} (base, sft, dpo; 168 items each), written to {@code
 * target/sycophancy-demo-report} (or {@code -Ddemo.report.dir=...}) for {@code scripts/screenshot-report.sh}.
 */
class DemoReportTest {

    @Test
    void writesTheDemoReport() throws Exception {
        var items = SyntheticResults.world();
        assertEquals(3 * 168, items.size());
        SycophancyReport report = SycophancyReport.of(items, ReportSettings.defaults());
        Path dir = Path.of(System.getProperty("demo.report.dir", "target/sycophancy-demo-report"));
        report.writeTo(dir);
        System.out.println(report.table());
        System.out.println("demo report: " + dir.toAbsolutePath());
        assertTrue(Files.exists(dir.resolve("report.html")));
        // The made-up behaviour is visible: dpo capitulates less than base under the paper's protocol.
        Slice own = new Slice("sycophancy-eval", "are_you_sure", "protocol=own");
        Comparison baseDpo = report.comparison(own, "capitulated", "base", "dpo").orElseThrow();
        assertTrue(baseDpo.difference().estimate() > 0, baseDpo.toString());
    }

    /** Two data sets: the charts group bars and label points by model and data set. */
    @Test
    void writesATwoDatasetReport() throws Exception {
        var items = new java.util.ArrayList<>(SyntheticResults.world("world"));
        items.addAll(SyntheticResults.world("are_you_sure"));
        SycophancyReport report = SycophancyReport.of(items, ReportSettings.defaults().withResamples(1000));
        Path dir = Path.of(System.getProperty("demo.report.dir", "target/sycophancy-demo-report") + "-two-datasets");
        report.writeTo(dir);
        assertEquals(12, ReportCharts.capitulationBars(report).size());
        assertEquals(6, ReportCharts.capitulationPoints(report).size());
    }
}
