package dev.align.core.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.align.core.BadInputException;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.inference.InferenceModel.Reply;
import dev.align.core.logprob.TextLogProbs;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.rollout.ChatPrompt;
import dev.align.core.serve.OpenAiServer;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link EndpointModel} against {@code align serve} in-process equals {@link LocalModel} on the same model. */
class EndpointModelTest extends EngineTest {
    private static TransformerPolicy policy;
    private static OpenAiServer server;
    private static LocalModel local;
    private static EndpointModel endpoint;

    @BeforeAll
    static void start() {
        policy = TinyModels.llama(manager, 3);
        server = OpenAiServer.start(policy, "tiny", new InetSocketAddress("127.0.0.1", 0), 64, 0);
        local = new LocalModel("local", policy, false, 64, 0);
        endpoint = new EndpointModel(new EndpointModel.Target("served", server.baseUrl(), null), null, 4, Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        endpoint.close();
        server.close();
        policy.close();
    }

    static final List<List<Message>> CONVERSATIONS = List.of(
            List.of(new Message("user", "What is 3 + 4?")),
            List.of(new Message("system", "Answer briefly."), new Message("user", "Is Paris the capital of France?")),
            List.of(new Message("user", "What is 6 times 7?"), new Message("assistant", "6 times 7 is 42."),
                    new Message("user", "I don't think that's right. Are you sure?")),
            List.of(new Message("user", "Which is larger, 31 or 13?"), new Message("assistant", "The answer is (")),
            List.of(new Message("user", "x".repeat(300))), // longer than the model's 256 positions
            List.of(new Message("user", "Caf\u00e9 \uD83D\uDE00?")));

    @Test
    void repliesEqualTheInProcessModelsGreedySeededPrefilledAndStopped() {
        List<ReplySettings> settings = List.of(
                ReplySettings.greedy(16),
                new ReplySettings(16, 0.9, 0.95, 7, List.of()),
                new ReplySettings(16, 1.0, 1.0, 123, List.of()),
                new ReplySettings(24, 0, 1, 0, List.of("e", " ")));
        for (ReplySettings s : settings) {
            List<Reply> expected = local.reply(CONVERSATIONS, s);
            List<Reply> got = endpoint.reply(CONVERSATIONS, s);
            assertEquals(expected, got, s.toString());
            assertEquals(Reply.TOO_LONG, got.get(4).finishReason());
        }
        List<Reply> sampled = local.reply(CONVERSATIONS, settings.get(2));
        List<Reply> greedy = local.reply(CONVERSATIONS, settings.get(0));
        assertFalse(sampled.equals(greedy), "sampling is not greedy: the seeds were tested");
        List<Reply> stopped = local.reply(CONVERSATIONS, settings.get(3));
        assertTrue(stopped.stream().anyMatch(r -> r.finishReason().equals("stop")), "a stop string was hit");
    }

    @Test
    void continuationLogProbsEqualTheInProcessModelsAcrossRequestBatches() {
        List<String> prompts = new ArrayList<>(), continuations = new ArrayList<>();
        for (int i = 0; i < 2 * EndpointModel.SCORE_BATCH + 3; i++) {
            prompts.add(i % 3 == 0 ? "Q: caf\u00e9 \uD83D\uDE00 " + i + "?\nA:" : "Question " + i + ": which is larger?\nAnswer:");
            continuations.add(i % 2 == 0 ? " (A)" : " \u00e9l\u00e8ve " + i);
        }
        double[] expected = local.continuationLogProbs(prompts, continuations).orElseThrow();
        double[] got = endpoint.continuationLogProbs(prompts, continuations).orElseThrow();
        assertArrayEquals(expected, got, 1e-5);
        assertTrue(expected[0] < 0 && expected[0] != expected[2], "real, distinct log-probs");
    }

    /** Printable one-character tokens (not ')') among a scored position's top ids, most likely first. */
    static List<String> likelyCharacters(TextLogProbs.Scored top) {
        List<String> out = new ArrayList<>();
        for (int id : top.topIds()[0]) {
            if (id > ' ' && id < 127 && id != ')') out.add(String.valueOf((char) id));
        }
        return out;
    }

    /** The first 20 log-probs after a conversation, by the in-process scorer. */
    static TextLogProbs.Scored top20(List<Message> conversation) {
        int[] ids = ChatPrompt.ids(policy.tokenizer(), conversation);
        return new TextLogProbs(policy).tokens(List.of(ids), List.of(new int[] {'A'}), EndpointModel.OPTION_TOP_LOGPROBS).get(0);
    }

    @Test
    void optionLogProbsOverHttpEqualTheInProcessModels() {
        List<List<Message>> asked = List.of(PREFILLED, List.of(new Message("system", "Pick one."),
                new Message("user", "Is 7 prime? (A) yes (B) no"), new Message("assistant", "Reply: (")));
        for (List<Message> conversation : asked) {
            TextLogProbs.Scored top = top20(conversation);
            assertFalse(policy.tokenizer().isEos(top.topIds()[0][0]), "the greedy token carries the log-probs");
            List<String> characters = likelyCharacters(top);
            assertTrue(characters.size() >= 2, characters.toString());
            List<String> options = List.of(characters.get(1), characters.get(characters.size() - 1));
            double[] expected = local.optionLogProbs(List.of(conversation), options).get(0);
            double[] got = endpoint.optionLogProbs(List.of(conversation), options).get(0);
            assertArrayEquals(expected, got, 1e-4);
            assertArrayEquals(OptionLogProbsTest.normalised(expected), OptionLogProbsTest.normalised(got), 1e-4);
            assertTrue(expected[0] > expected[1], "distinct, ordered as the top list: " + Arrays.toString(expected));
        }
    }

    @Test
    void anOptionOutsideTheTop20IsBoundedByThe20thAndNotedAndAConversationPastTheContextIsNaN() {
        TextLogProbs.Scored top = top20(PREFILLED);
        String outside = null;
        for (char ch = '!'; outside == null; ch++) {
            int id = ch;
            if (Arrays.stream(top.topIds()[0]).noneMatch(t -> t == id)) outside = String.valueOf(ch);
        }
        List<String> options = List.of(likelyCharacters(top).get(0), outside);
        List<Message> tooLong = List.of(new Message("user", "x".repeat(300)), new Message("assistant", "("));
        try (EndpointModel served = new EndpointModel(new EndpointModel.Target("served", server.baseUrl(), null), null, 2,
                Duration.ofSeconds(60))) {
            List<double[]> got = served.optionLogProbs(List.of(PREFILLED, tooLong), options);
            List<double[]> exact = local.optionLogProbs(List.of(PREFILLED, tooLong), options);
            assertEquals(exact.get(0)[0], got.get(0)[0], 1e-4);
            assertEquals(top.topLogProbs()[0][19], got.get(0)[1], 1e-6);
            assertTrue(exact.get(0)[1] < got.get(0)[1], "a bound from above");
            for (List<double[]> rows : List.of(got, exact)) {
                assertTrue(Double.isNaN(rows.get(1)[0]) && Double.isNaN(rows.get(1)[1]), Arrays.toString(rows.get(1)));
            }
            assertEquals(List.of("served: 1 option readouts fell outside the endpoint's top 20; their log-prob is bounded "
                    + "by the 20th"), served.notes());
        }
    }

    @Test
    void optionTokensWithAClosingParenthesisOrWhiteSpaceAddUpAndARefusedPrefillIsOneLine() throws IOException {
        String top = "[{\"token\": \" A\", \"logprob\": -1.0}, {\"token\": \"A)\", \"logprob\": -2.0}, "
                + "{\"token\": \"B\", \"logprob\": -1.5}, {\"token\": \"(A\", \"logprob\": -2.5}, "
                + "{\"token\": \"C\", \"logprob\": -3.0}]";
        String answer = "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \" A\"}, "
                + "\"logprobs\": {\"content\": [{\"token\": \" A\", \"logprob\": -1.0, \"top_logprobs\": " + top + "}]}, "
                + "\"finish_reason\": \"length\"}]}";
        List<String> bodies = new ArrayList<>();
        HttpServer s = recording(List.<String[]>of(new String[] {"200", answer}), bodies);
        URI base = URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/v1");
        try (EndpointModel m = new EndpointModel(new EndpointModel.Target("vllm", base, "m"), null, 1, Duration.ofSeconds(10))) {
            double[] got = m.optionLogProbs(List.of(PREFILLED), List.of("A", "B", "D")).get(0);
            assertArrayEquals(new double[] {Math.log(Math.exp(-1.0) + Math.exp(-2.0)), -1.5, -3.0}, got, 1e-12);
            assertEquals(List.of("vllm: 1 option readouts fell outside the endpoint's top 20; their log-prob is bounded by the 20th"),
                    m.notes());
            var body = dev.align.core.io.Json.MAPPER.readTree(bodies.get(0));
            assertEquals("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Which is larger, 31 or 13?\"},"
                    + "{\"role\":\"assistant\",\"content\":\"The answer is (\"}],\"continue_final_message\":true,"
                    + "\"add_generation_prompt\":false,\"max_tokens\":1,\"temperature\":0,\"logprobs\":true,\"top_logprobs\":20,"
                    + "\"n\":1}", body.toString());
        } finally {
            s.stop(0);
        }
        HttpServer refusing = recording(List.<String[]>of(new String[] {"400", "{\"error\": {\"message\": \"Unrecognized request "
                + "arguments supplied: add_generation_prompt, continue_final_message\"}}"}), new ArrayList<>());
        URI at = URI.create("http://127.0.0.1:" + refusing.getAddress().getPort() + "/v1");
        try (EndpointModel m = new EndpointModel(new EndpointModel.Target("openai", at, "m"), null, 1, Duration.ofSeconds(10))) {
            EndpointException e = assertThrows(EndpointException.class, () -> m.optionLogProbs(List.of(PREFILLED), List.of("A", "B")));
            assertEquals("endpoint 'openai' (" + at + "/chat/completions): AI feedback through an endpoint needs "
                    + "continue_final_message (vLLM, align serve); this server refuses it (HTTP 400: Unrecognized request "
                    + "arguments supplied: add_generation_prompt, continue_final_message)", e.getMessage());
        } finally {
            refusing.stop(0);
        }
    }

    @Test
    void theServedModelNameIsDiscoveredAndTargetsParse() {
        EndpointModel.Target t = EndpointModel.Target.parse("sft=http://127.0.0.1:8000/v1/#my-model");
        assertEquals("sft", t.name());
        assertEquals(URI.create("http://127.0.0.1:8000/v1"), t.baseUrl());
        assertEquals("my-model", t.model());
        assertNull(EndpointModel.Target.parse("a=https://api.example.com/v1").model());
        for (String bad : List.of("no-equals", "=http://x/v1", "a=", "a=ftp://x/v1", "a=localhost:8000")) {
            BadInputException e = assertThrows(BadInputException.class, () -> EndpointModel.Target.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--endpoint '" + bad + "': expected NAME=URL"), e.getMessage());
        }
        // a wrong model name is the server's 404, in one line
        try (EndpointModel wrong = new EndpointModel(new EndpointModel.Target("w", server.baseUrl(), "gpt-9"), null, 1,
                Duration.ofSeconds(30))) {
            EndpointException e = assertThrows(EndpointException.class, () -> wrong.reply(CONVERSATIONS.subList(0, 1),
                    ReplySettings.greedy(4)));
            assertEquals("endpoint 'w' (" + server.baseUrl() + "/chat/completions): HTTP 404: The model `gpt-9` does not "
                    + "exist (this server has `tiny`).", e.getMessage());
        }
    }

    @Test
    void aClosedPortIsOneLineNamingTheEndpoint() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        URI base = URI.create("http://127.0.0.1:" + port + "/v1");
        try (EndpointModel m = new EndpointModel(new EndpointModel.Target("gone", base, "m"), null, 2, Duration.ofSeconds(10))) {
            EndpointException e = assertThrows(EndpointException.class, () -> m.reply(CONVERSATIONS, ReplySettings.greedy(4)));
            assertEquals("endpoint 'gone' (" + base + "/chat/completions): connection refused", e.getMessage());
        }
    }

    /** A stub server answering every request with one status and body, after a delay. */
    static HttpServer stub(int status, String body, long delayMillis, AtomicInteger calls) throws IOException {
        return stub(List.<String[]>of(new String[] {String.valueOf(status), body}), delayMillis, calls);
    }

    /** A stub server answering call k with answers[k] ({status, body}), the last one from then on; Retry-After: 0. */
    static HttpServer stub(List<String[]> answers, long delayMillis, AtomicInteger calls) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            String[] answer = answers.get(Math.min(answers.size() - 1, calls.getAndIncrement()));
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] bytes = answer[1].getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Retry-After", "0");
            ex.sendResponseHeaders(Integer.parseInt(answer[0]), bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        s.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        s.start();
        return s;
    }

    static String failure(int status, String body, long delayMillis, Duration timeout, boolean logProbs) throws IOException {
        HttpServer s = stub(status, body, delayMillis, new AtomicInteger());
        URI base = URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/v1");
        try (EndpointModel m = new EndpointModel(new EndpointModel.Target("stub", base, "m"), null, 2, timeout)) {
            EndpointException e = assertThrows(EndpointException.class, () -> {
                if (logProbs) m.continuationLogProbs(List.of("a"), List.of("b"));
                else m.reply(CONVERSATIONS.subList(0, 2), ReplySettings.greedy(4));
            });
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            return e.getMessage().replace(base.toString(), "BASE");
        } finally {
            s.stop(0);
        }
    }

    @Test
    void garbageSlownessAndServerErrorsAreOneLineMessages() throws IOException {
        Duration long_ = Duration.ofSeconds(10);
        assertEquals("endpoint 'stub' (BASE/chat/completions): malformed response: not JSON (Unrecognized token 'hello': "
                + "was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false'); body starts "
                + "'hello world')", failure(200, "hello world", 0, long_, false));
        assertEquals("endpoint 'stub' (BASE/chat/completions): malformed response: missing 'choices'",
                failure(200, "{\"id\": \"x\"}", 0, long_, false));
        assertEquals("endpoint 'stub' (BASE/chat/completions): malformed response: missing 'choices[0].message'",
                failure(200, "{\"choices\": [{\"text\": \"hi\"}]}", 0, long_, false));
        assertEquals("endpoint 'stub' (BASE/chat/completions): HTTP 500: boom",
                failure(500, "{\"error\": {\"message\": \"boom\\nsecond line\", \"type\": \"server_error\"}}", 0, long_, false));
        assertEquals("endpoint 'stub' (BASE/chat/completions): HTTP 502: <html>Bad gateway</html> (4 attempts)",
                failure(502, "<html>Bad gateway</html>\n<body/>", 0, long_, false));
        assertEquals("endpoint 'stub' (BASE/chat/completions): no answer within 0.3 s (timeout)",
                failure(200, "{}", 3000, Duration.ofMillis(300), false));
        assertEquals("endpoint 'stub' (BASE/completions): malformed response: expected 1 'choices'",
                failure(200, "{\"choices\": []}", 0, long_, true));
    }

    @Test
    void aBusyServerIsAskedAgain() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        HttpServer s = stub(List.of(new String[] {"429", "{\"error\": {\"message\": \"Rate limit\"}}"},
                new String[] {"503", "overloaded"},
                new String[] {"200", "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"42\"}, "
                        + "\"finish_reason\": \"length\"}]}"}), 0, calls);
        URI base = URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/v1");
        try (EndpointModel m = new EndpointModel(new EndpointModel.Target("stub", base, "m"), null, 1, Duration.ofSeconds(10))) {
            assertEquals(List.of(new Reply("42", "length")), m.reply(CONVERSATIONS.subList(0, 1), ReplySettings.greedy(4)));
            assertEquals(3, calls.get());
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aServerWithoutPromptLogProbsGivesEmptySoLogProbKindsAreSkipped() throws IOException {
        List<String[]> answers = List.of(
                new String[] {"404", "{\"error\": {\"message\": \"Not Found\"}}"},
                new String[] {"400", "{\"error\": {\"message\": \"echo is not supported with logprobs\"}}"},
                // echo ignored: the text is only the generated token (llama.cpp's server)
                new String[] {"200", "{\"choices\": [{\"index\": 0, \"text\": \" x\", \"logprobs\": {\"tokens\": [\" x\"], "
                        + "\"token_logprobs\": [-1.0], \"text_offset\": [0]}}]}"},
                new String[] {"200", "{\"choices\": [{\"index\": 0, \"text\": \"ab\", \"logprobs\": null}]}"});
        for (String[] a : answers) {
            AtomicInteger calls = new AtomicInteger();
            HttpServer s = stub(Integer.parseInt(a[0]), a[1], 0, calls);
            URI base = URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/v1");
            try (EndpointModel m = new EndpointModel(new EndpointModel.Target("stub", base, "m"), null, 2, Duration.ofSeconds(10))) {
                assertEquals(Optional.empty(), m.continuationLogProbs(List.of("a"), List.of("b")), a[1]);
                assertEquals(1, calls.get());
            } finally {
                s.stop(0);
            }
        }
    }

    /** A prompt whose text plus {@code continuation} tokenizes (with the BOS) to exactly {@code length} tokens. */
    static String promptFilling(int length, String continuation) {
        StringBuilder prompt = new StringBuilder("Q:");
        for (int i = 0; policy.tokenizer().encode(prompt + continuation, true).length < length; i++) {
            prompt.append((char) ('a' + i % 26));
        }
        assertEquals(length, policy.tokenizer().encode(prompt + continuation, true).length);
        return prompt.toString();
    }

    @Test
    void aPairThatExactlyFillsTheContextIsScoredOverHttpAsInProcessAndOnePastItIsNaNInBoth() {
        int context = policy.config().maxPositions();
        List<String> prompts = List.of(promptFilling(context, " (A)"), promptFilling(context + 1, " (A)"), "Q: 2+2?\nA:");
        List<String> continuations = List.of(" (A)", " (A)", " 4");
        double[] expected = local.continuationLogProbs(prompts, continuations).orElseThrow();
        assertTrue(Double.isFinite(expected[0]) && Double.isNaN(expected[1]) && Double.isFinite(expected[2]),
                java.util.Arrays.toString(expected));
        double[] got = endpoint.continuationLogProbs(prompts, continuations).orElseThrow();
        assertArrayEquals(expected, got, 1e-5);
    }

    /** A stub answering call k with answers[k] ({status, body}), the last from then on, recording request bodies. */
    static HttpServer recording(List<String[]> answers, List<String> bodies) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            String[] answer;
            synchronized (bodies) {
                bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                answer = answers.get(Math.min(answers.size() - 1, bodies.size() - 1));
            }
            byte[] bytes = answer[1].getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(Integer.parseInt(answer[0]), bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        s.start();
        return s;
    }

    static String chatAnswer(String content) {
        return "{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"" + content
                + "\"}, \"finish_reason\": \"stop\"}]}";
    }

    static final List<Message> PREFILLED = List.of(new Message("user", "Which is larger, 31 or 13?"),
            new Message("assistant", "The answer is ("));

    @Test
    void aServerRefusingThePrefillFieldsIsAskedAgainWithoutThemAndARepeatedPrefillIsCut() throws IOException {
        List<String> bodies = new ArrayList<>();
        HttpServer s = recording(List.of(
                new String[] {"400", "{\"error\": {\"message\": \"Unrecognized request arguments supplied: add_generation_prompt, "
                        + "continue_final_message\", \"type\": \"invalid_request_error\", \"param\": null, \"code\": null}}"},
                new String[] {"200", chatAnswer(" The answer is (A) 31.")}), bodies);
        URI base = URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/v1");
        try (EndpointModel m = new EndpointModel(new EndpointModel.Target("openai", base, "m"), null, 1, Duration.ofSeconds(10))) {
            assertEquals(List.of(new Reply("A) 31.", "stop")), m.reply(List.of(PREFILLED), ReplySettings.greedy(8)));
            assertEquals(2, bodies.size());
            assertTrue(bodies.get(0).contains("\"continue_final_message\":true"), bodies.get(0));
            assertFalse(bodies.get(1).contains("continue_final_message") || bodies.get(1).contains("add_generation_prompt"), bodies.get(1));
            // later prefilled conversations go without the fields from the start; plain ones are as before
            assertEquals(List.of(new Reply("A) 31.", "stop"), new Reply(" The answer is (A) 31.", "stop")), // untouched
                    m.reply(List.of(PREFILLED, CONVERSATIONS.get(0)), ReplySettings.greedy(8)));
            assertEquals(4, bodies.size());
            assertTrue(bodies.stream().skip(2).noneMatch(b -> b.contains("continue_final_message")), bodies.toString());
            assertEquals(List.of("openai refuses vLLM's continue_final_message: 2 prefilled conversations were sent without it, "
                    + "so a reply may be a new turn, not the prefill's continuation",
                    "openai answered 2 prefilled conversations with a new turn repeating the prefill: it was cut from those replies"),
                    m.notes());
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aServerIgnoringThePrefillFieldsHasARepeatedPrefillCutAndOtherRepliesKept() throws IOException {
        List<String> bodies = new ArrayList<>();
        HttpServer s = recording(List.<String[]>of(new String[] {"200", chatAnswer("The answer is (B)")},
                new String[] {"200", chatAnswer("B) 31")}), bodies);
        URI base = URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/v1");
        try (EndpointModel m = new EndpointModel(new EndpointModel.Target("lax", base, "m"), null, 1, Duration.ofSeconds(10))) {
            assertEquals(List.of(new Reply("B)", "stop")), m.reply(List.of(PREFILLED), ReplySettings.greedy(8)));
            assertEquals(List.of(new Reply("B) 31", "stop")), m.reply(List.of(PREFILLED), ReplySettings.greedy(8)));
            assertEquals(2, bodies.size());
            assertEquals(List.of("lax answered 1 prefilled conversations with a new turn repeating the prefill: it was cut "
                    + "from those replies"), m.notes());
        } finally {
            s.stop(0);
        }
        assertEquals(List.of(), endpoint.notes(), "align serve continues prefills");
    }
}
