package dev.align.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align.core.io.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {

    @Test
    void serveStartsPrintsItsUrlAnswersAndStops(@TempDir Path tmp) throws Exception {
        Path model = CliTest.tinyModel(tmp);
        StringWriter out = new StringWriter(), err = new StringWriter();
        AtomicInteger code = new AtomicInteger(-1);
        Thread serving = new Thread(() -> code.set(Main.run(new String[] {"serve", "--model", model.toString(), "--port", "0",
                "--served-model-name", "tiny"}, new PrintWriter(out, true), new PrintWriter(err, true))));
        serving.start();
        Pattern line = Pattern.compile("align serve: (http://127\\.0\\.0\\.1:\\d+/v1) \\(model 'tiny'; Ctrl-C stops\\)");
        Matcher m = line.matcher("");
        for (long deadline = System.currentTimeMillis() + 60_000; System.currentTimeMillis() < deadline;) {
            m = line.matcher(out.toString());
            if (m.find() || !serving.isAlive()) break;
            Thread.sleep(50);
        }
        assertTrue(m.find(0), "out: " + out + " err: " + err);
        URI base = URI.create(m.group(1));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(base + "/models")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("tiny", Json.MAPPER.readTree(models.body()).get("data").get(0).get("id").asText());
        HttpResponse<String> chat = http.send(HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                        + "\"max_tokens\": 5, \"temperature\": 0}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, chat.statusCode(), chat.body());
        JsonNode reply = Json.MAPPER.readTree(chat.body());
        assertEquals("chat.completion", reply.get("object").asText());
        assertTrue(reply.get("usage").get("completion_tokens").asInt() >= 1);
        assertFalse(err.toString().contains("warning"), err.toString());
        serving.interrupt();
        serving.join(30_000);
        assertEquals(0, code.get(), err.toString());
    }

    @Test
    void everyInterfacePrintsAUsableUrlAndOneWarningThatThereIsNoAuthentication(@TempDir Path tmp) throws Exception {
        Path model = CliTest.tinyModel(tmp);
        StringWriter out = new StringWriter(), err = new StringWriter();
        AtomicInteger code = new AtomicInteger(-1);
        Thread serving = new Thread(() -> code.set(Main.run(new String[] {"serve", "--model", model.toString(), "--port", "0",
                "--host", "0.0.0.0", "--served-model-name", "tiny"}, new PrintWriter(out, true), new PrintWriter(err, true))));
        serving.start();
        Pattern line = Pattern.compile("align serve: http://0\\.0\\.0\\.0:(\\d+)/v1 \\(model 'tiny'; Ctrl-C stops\\)\n");
        Matcher m = line.matcher("");
        for (long deadline = System.currentTimeMillis() + 60_000; System.currentTimeMillis() < deadline;) {
            m = line.matcher(out.toString());
            if (m.find() || !serving.isAlive()) break;
            Thread.sleep(50);
        }
        assertTrue(m.find(0), "out: " + out + " err: " + err);
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + m.group(1) + "/health")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        for (long deadline = System.currentTimeMillis() + 10_000; err.toString().isEmpty() && System.currentTimeMillis() < deadline;) {
            Thread.sleep(20); // printed just after the URL
        }
        assertEquals("align serve: warning: listening on 0.0.0.0, reachable from other machines, with no authentication\n",
                err.toString());
        serving.interrupt();
        serving.join(30_000);
        assertEquals(0, code.get(), err.toString());
    }

    @Test
    void aPortInUseIsOneLineAndExitCode2(@TempDir Path tmp) throws Exception {
        Path model = CliTest.tinyModel(tmp);
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            CliTest.Result r = CliTest.align("serve", "--model", model.toString(), "--port", String.valueOf(port));
            assertEquals(2, r.code(), r.err());
            assertEquals("error: cannot listen on 127.0.0.1:" + port + ": address already in use\n", r.err());
        }
    }
}
