package dev.align.core.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.EngineTest;
import dev.align.core.TinyModels;
import dev.align.core.io.Json;
import dev.align.core.logprob.LogProbs;
import dev.align.core.model.TransformerPolicy;
import dev.align.core.rollout.ChatPrompt;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OpenAiServerTest extends EngineTest {
    private static TransformerPolicy model;
    private static OpenAiServer server;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        model = TinyModels.llama(manager, 5);
        server = OpenAiServer.start(model, "tiny", new InetSocketAddress("127.0.0.1", 0), 64, 0);
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    record Answer(int status, JsonNode json) {}

    static Answer post(String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), Json.MAPPER.readTree(r.body()));
    }

    static Answer get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), Json.MAPPER.readTree(r.body()));
    }

    static ObjectNode chatBody(List<Message> conversation) {
        ObjectNode b = Json.MAPPER.createObjectNode();
        b.put("model", "tiny");
        var messages = b.putArray("messages");
        for (Message m : conversation) messages.addObject().put("role", m.role()).put("content", m.content());
        return b;
    }

    /** log p(ids[t] | ids[:t]) for t ≥ 1, from the trainers' full-sequence pass (not the code under test). */
    static float[] sequenceLogProbs(int[] ids) {
        NDArray[] batch = TinyModels.batch(manager, List.of(ids), 0, false);
        return LogProbs.DEFAULT.sequences(model, batch[0], batch[1], null).logProbs().toFloatArray();
    }

    static final List<Message> CONVERSATION = List.of(new Message("system", "Be brief."), new Message("user", "Is 7 prime?"));

    @Test
    void chatCompletionHasOpenAisShapeAndTheEnginesGreedyReplyWithItsOwnLogProbs() throws Exception {
        ObjectNode body = chatBody(CONVERSATION);
        body.put("temperature", 0).put("max_tokens", 12).put("logprobs", true).put("top_logprobs", 3);
        Answer a = post("/chat/completions", Json.compact(body));
        assertEquals(200, a.status(), a.json().toString());
        JsonNode r = a.json();
        assertTrue(r.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("chat.completion", r.get("object").asText());
        assertTrue(r.get("created").isIntegralNumber());
        assertEquals("tiny", r.get("model").asText());
        assertEquals(1, r.get("choices").size());
        JsonNode c = r.get("choices").get(0);
        assertEquals(0, c.get("index").asInt());
        assertEquals("assistant", c.get("message").get("role").asText());

        int[] ids = ChatPrompt.ids(model.tokenizer(), CONVERSATION);
        Rollout expected = new RolloutEngine(model).generate(List.of(new Prompt(0, ids)), RolloutConfig.greedy(12)).get(0);
        assertEquals(expected.text(), c.get("message").get("content").asText());
        assertEquals(expected.finishReason().openAiName(), c.get("finish_reason").asText());
        assertEquals(ids.length, r.get("usage").get("prompt_tokens").asInt());
        assertEquals(expected.completionIds().length, r.get("usage").get("completion_tokens").asInt());
        assertEquals(ids.length + expected.completionIds().length, r.get("usage").get("total_tokens").asInt());

        // logprobs.content: one entry per content token, log-probs of the full-sequence pass, greedy = top-1
        JsonNode content = c.get("logprobs").get("content");
        int n = expected.completionIds().length - (expected.finishReason() == dev.align.core.rollout.FinishReason.EOS ? 1 : 0);
        assertEquals(n, content.size());
        float[] reference = sequenceLogProbs(expected.ids());
        for (int t = 0; t < n; t++) {
            JsonNode e = content.get(t);
            int id = expected.completionIds()[t];
            String token = model.tokenizer().decode(new int[] {id}, false);
            assertEquals(token, e.get("token").asText());
            assertEquals(reference[ids.length - 1 + t], e.get("logprob").asDouble(), 1e-4, "token " + t);
            byte[] bytes = token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(bytes.length, e.get("bytes").size());
            for (int b = 0; b < bytes.length; b++) assertEquals(bytes[b] & 0xff, e.get("bytes").get(b).asInt());
            JsonNode top = e.get("top_logprobs");
            assertEquals(3, top.size());
            assertEquals(e.get("logprob").asDouble(), top.get(0).get("logprob").asDouble(), 1e-6, "greedy picks the top token");
            assertTrue(top.get(0).get("logprob").asDouble() >= top.get(1).get("logprob").asDouble());
            assertTrue(top.get(1).get("logprob").asDouble() >= top.get(2).get("logprob").asDouble());
        }
    }

    @Test
    void withoutLogprobsTheFieldIsNullAndSeededSamplesEqualTheEnginesNSamples() throws Exception {
        ObjectNode body = chatBody(CONVERSATION);
        body.put("temperature", 0.9).put("top_p", 0.95).put("max_tokens", 10).put("n", 3).put("seed", 42);
        Answer a = post("/chat/completions", Json.compact(body));
        assertEquals(200, a.status(), a.json().toString());
        int[] ids = ChatPrompt.ids(model.tokenizer(), CONVERSATION);
        List<Rollout> expected = new RolloutEngine(model).generate(List.of(new Prompt(0, ids)),
                RolloutConfig.sampling(10, 0.9f, 0, 0.95f, 0).withNumGenerations(3).withSeed(42));
        JsonNode choices = a.json().get("choices");
        assertEquals(3, choices.size());
        for (int g = 0; g < 3; g++) {
            assertEquals(g, choices.get(g).get("index").asInt());
            assertEquals(expected.get(g).text(), choices.get(g).get("message").get("content").asText(), "sample " + g);
            assertTrue(choices.get(g).get("logprobs").isNull());
        }
        assertNotEquals(expected.get(0).text(), expected.get(1).text(), "three samples, not one");
    }

    @Test
    void aPrefillIsContinuedAndStopStringsCutTheReply() throws Exception {
        List<Message> prefilled = List.of(new Message("user", "Say something."), new Message("assistant", "The answer is ("));
        int[] ids = ChatPrompt.ids(model.tokenizer(), prefilled);
        assertTrue(model.tokenizer().decode(ids, false).endsWith("<|im_start|>assistant\nThe answer is ("));
        Rollout free = new RolloutEngine(model).generate(List.of(new Prompt(0, ids)), RolloutConfig.greedy(20)).get(0);
        String stop = free.text().substring(3, 4); // a character the greedy reply contains
        ObjectNode body = chatBody(prefilled);
        body.put("continue_final_message", true).put("add_generation_prompt", false).put("temperature", 0).put("max_tokens", 20);
        body.putArray("stop").add(stop).add("never-appears");
        body.put("max_completion_tokens", 20).remove("max_tokens");
        Answer a = post("/chat/completions", Json.compact(body));
        assertEquals(200, a.status(), a.json().toString());
        JsonNode c = a.json().get("choices").get(0);
        assertEquals(free.text().substring(0, free.text().indexOf(stop)), c.get("message").get("content").asText());
        assertEquals("stop", c.get("finish_reason").asText());

        body.put("continue_final_message", false).put("add_generation_prompt", true); // a closed turn, then a new one
        body.remove("stop");
        Answer closed = post("/chat/completions", Json.compact(body));
        int[] newTurn = model.tokenizer().encode(model.tokenizer().chatTemplate().render(prefilled, true), false);
        Rollout second = new RolloutEngine(model).generate(List.of(new Prompt(0, newTurn)), RolloutConfig.greedy(20)).get(0);
        assertEquals(second.text(), closed.json().get("choices").get(0).get("message").get("content").asText());
    }

    @Test
    void completionsEchoWithZeroTokensReturnsEveryPromptTokensLogProbAndOffsets() throws Exception {
        String prompt = "Caf\u00e9 \uD83D\uDE00 is 7 prime?";
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", "tiny").put("prompt", prompt).put("max_tokens", 0).put("echo", true).put("logprobs", 2);
        Answer a = post("/completions", Json.compact(body));
        assertEquals(200, a.status(), a.json().toString());
        JsonNode r = a.json();
        assertEquals("text_completion", r.get("object").asText());
        assertTrue(r.get("id").asText().startsWith("cmpl-"));
        assertTrue(r.get("created").isIntegralNumber());
        assertEquals("tiny", r.get("model").asText());
        assertEquals(1, r.get("choices").size());
        assertEquals(0, r.get("choices").get(0).get("index").asInt());
        JsonNode c = r.get("choices").get(0);
        assertEquals(prompt, c.get("text").asText());
        assertEquals("length", c.get("finish_reason").asText());
        Tokenizer.Spans spans = model.tokenizer().encodeWithSpans(prompt, true);
        float[] reference = sequenceLogProbs(spans.ids());
        JsonNode lp = c.get("logprobs");
        assertEquals(spans.length(), lp.get("tokens").size());
        assertTrue(lp.get("token_logprobs").get(0).isNull());
        assertTrue(lp.get("top_logprobs").get(0).isNull());
        for (int t = 1; t < spans.length(); t++) {
            assertEquals(reference[t - 1], lp.get("token_logprobs").get(t).asDouble(), 1e-4, "token " + t);
            String token = model.tokenizer().decode(new int[] {spans.ids()[t]}, false);
            JsonNode top = lp.get("top_logprobs").get(t);
            assertTrue(top.has(token), "the chosen token is among the alternatives");
            assertTrue(top.size() >= 1 && top.size() <= 3, "2 alternatives plus the chosen token, fewer where byte pieces decode alike");
        }
        // text_offset in code points: the emoji is one, so every token after it is one less than Java's index
        int emoji = prompt.indexOf('\uD83D');
        for (int t = 0; t < spans.length(); t++) {
            int start = spans.start()[t];
            assertEquals(start > emoji ? start - 1 : start, lp.get("text_offset").get(t).asInt(), "token " + t);
        }
        assertEquals(spans.length(), r.get("usage").get("prompt_tokens").asInt());
        assertEquals(0, r.get("usage").get("completion_tokens").asInt());
        assertEquals(spans.length(), r.get("usage").get("total_tokens").asInt());

        // echo with a reply: the prompt's entries, then the reply's, offsets running on into the generated text
        body.put("max_tokens", 3).put("temperature", 0);
        JsonNode more = post("/completions", Json.compact(body)).json().get("choices").get(0);
        Rollout reply = new RolloutEngine(model).generate(List.of(new Prompt(0, spans.ids())), RolloutConfig.greedy(3)).get(0);
        assertEquals(prompt + reply.text(), more.get("text").asText());
        JsonNode all = more.get("logprobs");
        int n = spans.length() + reply.completionIds().length;
        assertEquals(n, all.get("tokens").size());
        float[] whole = sequenceLogProbs(reply.ids());
        for (int t = 1; t < n; t++) assertEquals(whole[t - 1], all.get("token_logprobs").get(t).asDouble(), 1e-4, "token " + t);
        assertEquals(prompt.codePointCount(0, prompt.length()), all.get("text_offset").get(spans.length()).asInt());
    }

    @Test
    void completionsOfAPromptListAreTheEnginesBatchedCall() throws Exception {
        List<String> prompts = List.of("Hello", "Is 2+2 four?", "x");
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", "tiny").put("max_tokens", 8).put("temperature", 1.0).put("seed", 9).put("n", 2);
        prompts.forEach(body.putArray("prompt")::add);
        Answer a = post("/completions", Json.compact(body));
        assertEquals(200, a.status(), a.json().toString());
        List<int[]> ids = new ArrayList<>();
        for (String p : prompts) ids.add(model.tokenizer().encode(p, true));
        List<Rollout> expected = new RolloutEngine(model).generate(Prompt.numbered(ids),
                RolloutConfig.sampling(8, 1f, 0, 1f, 0).withSeed(9).withNumGenerations(2));
        JsonNode choices = a.json().get("choices");
        assertEquals(6, choices.size());
        for (int k = 0; k < 6; k++) {
            assertEquals(k, choices.get(k).get("index").asInt());
            assertEquals(expected.get(k).text(), choices.get(k).get("text").asText(), "choice " + k);
        }
    }

    @Test
    void modelsAndHealthAnswer() throws Exception {
        Answer models = get("/v1/models");
        assertEquals(200, models.status());
        assertEquals("list", models.json().get("object").asText());
        assertEquals("tiny", models.json().get("data").get(0).get("id").asText());
        assertEquals("model", models.json().get("data").get(0).get("object").asText());
        assertEquals(200, get("/health").status());
    }

    @Test
    void badRequestsAre400WithOpenAiErrorsNamingTheField() throws Exception {
        String chat = "/chat/completions";
        Map<String, String[]> cases = new java.util.LinkedHashMap<>();
        // body → {path, param (or ""), a phrase of the message}
        cases.put("{\"messages\": [", new String[] {chat, "", "malformed JSON"});
        cases.put("[1, 2]", new String[] {chat, "", "JSON object"});
        cases.put("{}", new String[] {chat, "messages", "'messages' must be a non-empty list"});
        cases.put("{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}", new String[] {chat, "messages[0].role", "system, user or assistant"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", new String[] {chat, "messages[0].content", "must be a string"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}", new String[] {chat, "temperature", "must be a number"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_p\": 0}", new String[] {chat, "top_p", "(0, 1]"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 0}", new String[] {chat, "n", "must be in"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2.5}", new String[] {chat, "max_tokens", "integer"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": [\"\"]}", new String[] {chat, "stop", "must not be empty"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_logprobs\": 2}", new String[] {chat, "top_logprobs", "needs 'logprobs': true"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logprobs\": true, \"top_logprobs\": 21}", new String[] {chat, "top_logprobs", "must be in"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": true}", new String[] {chat, "stream", "not supported"});
        // fields that would change the answer are refused, not ignored
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logit_bias\": {\"5\": 100}}", new String[] {chat, "logit_bias", "not supported"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": [{\"type\": \"function\"}]}", new String[] {chat, "tools", "not supported"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"response_format\": {\"type\": \"json_object\"}}", new String[] {chat, "response_format", "supported"});
        cases.put("{\"prompt\": \"hi\", \"suffix\": \"end\"}", new String[] {"/completions", "suffix", "not supported"});
        cases.put("{\"prompt\": \"hi\", \"best_of\": 3}", new String[] {"/completions", "best_of", "not supported"});
        cases.put("{\"prompt\": \"hi\", \"n\": 2, \"best_of\": 3}", new String[] {"/completions", "best_of", "not supported"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tool_choice\": \"auto\"}", new String[] {chat, "tool_choice", "not supported"});
        // ranges read as written: no float noise, no upper end that is not a real limit
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": -1}", new String[] {chat, "temperature", "'temperature' must be >= 0, got -1"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_p\": 1.5}", new String[] {chat, "top_p", "'top_p' must be in [0, 1], got 1.5"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}", new String[] {chat, "max_tokens", "'max_tokens' must be >= 1, got 0"});
        cases.put("{\"prompt\": \"hi\", \"max_tokens\": -1}", new String[] {"/completions", "max_tokens", "'max_tokens' must be >= 0, got -1"});
        cases.put("{\"prompt\": \"hi\", \"n\": 200}", new String[] {"/completions", "n", "'n' must be in [1, 128], got 200"});
        cases.put("{\"prompt\": \"hi\", \"top_k\": -2}", new String[] {"/completions", "top_k", "'top_k' must be >= -1, got -2"});
        cases.put("{\"prompt\": \"hi\", \"max_tokens\": 2000000000}", new String[] {"/completions", "prompt", "you requested 2000000002 tokens"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"continue_final_message\": true}", new String[] {chat, "messages", "final assistant message"});
        cases.put("{\"messages\": [{\"role\": \"user\", \"content\": \"" + "x".repeat(300) + "\"}], \"max_tokens\": 4}", new String[] {chat, "messages", "maximum context length is 256 tokens"});
        cases.put("{\"prompt\": []}", new String[] {"/completions", "prompt", "empty list"});
        cases.put("{\"prompt\": [1, 2]}", new String[] {"/completions", "prompt", "token-id prompts"});
        cases.put("{\"prompt\": \"hi\", \"logprobs\": true}", new String[] {"/completions", "logprobs", "integer"});
        for (var e : cases.entrySet()) {
            Answer a = post(e.getValue()[0], e.getKey());
            assertEquals(400, a.status(), e.getKey() + " → " + a.json());
            JsonNode error = a.json().get("error");
            assertEquals("invalid_request_error", error.get("type").asText(), e.getKey());
            String param = e.getValue()[1];
            if (param.isEmpty()) assertTrue(error.get("param").isNull(), e.getKey());
            else assertEquals(param, error.get("param").asText(), e.getKey());
            assertTrue(error.get("message").asText().contains(e.getValue()[2]), e.getKey() + " → " + error);
        }
        Answer tooLong = post(chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1000}");
        assertEquals("context_length_exceeded", tooLong.json().get("error").get("code").asText());
        Answer wrongModel = post(chat, "{\"model\": \"gpt-9\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(404, wrongModel.status());
        assertEquals("model", wrongModel.json().get("error").get("param").asText());
        assertEquals(404, get("/v1/nothing").status());
        assertEquals(405, get("/v1/chat/completions").status());
        // an integral float is an integer, as vLLM's pydantic reads it; 2.5 above is not
        Answer integralFloat = post(chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 3.0, \"temperature\": 0}");
        assertEquals(200, integralFloat.status(), integralFloat.json().toString());
        assertTrue(integralFloat.json().get("usage").get("completion_tokens").asInt() <= 3);
        // what changes nothing is taken: an empty logit_bias, text format, best_of equal to n (as an integral float too)
        for (String fine : List.of("\"logit_bias\": {}", "\"response_format\": {\"type\": \"text\"}", "\"tool_choice\": \"none\"",
                "\"best_of\": 1.0", "\"n\": 2, \"best_of\": 2")) {
            Answer ok = post("/completions", "{\"prompt\": \"hi\", \"max_tokens\": 2, " + fine + "}");
            assertEquals(200, ok.status(), fine + " → " + ok.json());
        }
    }

    /** A text whose prompt tokens (with the BOS the server adds) number exactly {@code length}. */
    static String textOfTokens(int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; model.tokenizer().encode(text.toString(), true).length < length; i++) text.append((char) ('a' + i % 26));
        assertEquals(length, model.tokenizer().encode(text.toString(), true).length);
        return text.toString();
    }

    @Test
    void anEchoedPromptThatFillsTheContextIsScoredWithMaxTokensOneAndGeneratesNothing() throws Exception {
        int context = model.config().maxPositions();
        String full = textOfTokens(context), over = textOfTokens(context + 1), shortPrompt = "Is 7 prime?";
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", "tiny").put("echo", true).put("logprobs", 1).put("max_tokens", 1).put("temperature", 0);
        body.putArray("prompt").add(full).add(shortPrompt);
        Answer a = post("/completions", Json.compact(body));
        assertEquals(200, a.status(), a.json().toString());
        JsonNode filled = a.json().get("choices").get(0);
        assertEquals(full, filled.get("text").asText());
        assertEquals("length", filled.get("finish_reason").asText());
        int[] ids = model.tokenizer().encode(full, true);
        float[] reference = sequenceLogProbs(ids);
        JsonNode lp = filled.get("logprobs").get("token_logprobs");
        assertEquals(context, lp.size());
        for (int t = 1; t < context; t += 51) assertEquals(reference[t - 1], lp.get(t).asDouble(), 1e-4, "token " + t);
        // the other prompt of the request still gets its one greedy token, as prompt 1 of the engine's call
        int[] shortIds = model.tokenizer().encode(shortPrompt, true);
        Rollout one = new RolloutEngine(model).generate(List.of(new Prompt(1, shortIds)), RolloutConfig.greedy(1)).get(0);
        assertEquals(shortPrompt + one.text(), a.json().get("choices").get(1).get("text").asText());
        assertEquals(1, a.json().get("usage").get("completion_tokens").asInt());
        assertEquals(context + shortIds.length, a.json().get("usage").get("prompt_tokens").asInt());

        // one token past the context is still refused; without echo so is a full prompt with a token to generate
        body.putArray("prompt").add(over);
        Answer past = post("/completions", Json.compact(body));
        assertEquals(400, past.status());
        assertEquals("context_length_exceeded", past.json().get("error").get("code").asText());
        body.putArray("prompt").add(full);
        body.put("echo", false);
        assertEquals(400, post("/completions", Json.compact(body)).status());
        body.put("echo", true).put("max_tokens", 2);
        assertEquals(400, post("/completions", Json.compact(body)).status());
    }

    @Test
    void anErrorWhileDecodingIsA500AndThenEveryRequestAndHealthA503() throws Exception {
        BatchingDecoder.Generator outOfMemory = (prompts, config) -> {
            throw new OutOfMemoryError("injected");
        };
        try (OpenAiServer failing = OpenAiServer.start(model, "tiny", new InetSocketAddress("127.0.0.1", 0), 64, 0, outOfMemory)) {
            String chat = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2}";
            List<Answer> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) answers.add(send(failing, "/v1/chat/completions", chat));
            answers.add(send(failing, "/health", null));
            assertEquals(500, answers.get(0).status(), answers.get(0).json().toString());
            assertEquals("decoding failed: java.lang.OutOfMemoryError: injected",
                    answers.get(0).json().get("error").get("message").asText());
            for (Answer later : answers.subList(1, 4)) {
                assertEquals(503, later.status(), later.json().toString());
                JsonNode error = later.json().get("error");
                assertEquals("server_error", error.get("type").asText());
                assertEquals("the decoder stopped after java.lang.OutOfMemoryError: injected; restart the server",
                        error.get("message").asText());
            }
        }
        assertEquals(200, get("/health").status(), "the shared server is another one");
    }

    /** POST (or GET when body is null) to another server, with a timeout: a hang fails the test. */
    static Answer send(OpenAiServer to, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.port() + path))
                .timeout(java.time.Duration.ofSeconds(30));
        b = body == null ? b.GET() : b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), Json.MAPPER.readTree(r.body()));
    }

    @Test
    void concurrentRequestsGetWhatSerialOnesGet() throws Exception {
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ObjectNode body = chatBody(List.of(new Message("user", "Question " + i + "?")));
            body.put("temperature", 0.8).put("max_tokens", 10).put("seed", i);
            bodies.add(Json.compact(body));
        }
        List<String> serial = new ArrayList<>();
        for (String b : bodies) serial.add(post("/chat/completions", b).json().get("choices").get(0).get("message").get("content").asText());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Answer>> futures = new ArrayList<>();
            for (String b : bodies) futures.add(pool.submit(() -> post("/chat/completions", b)));
            for (int i = 0; i < bodies.size(); i++) {
                Answer a = futures.get(i).get();
                assertEquals(200, a.status());
                assertEquals(serial.get(i), a.json().get("choices").get(0).get("message").get("content").asText(), "request " + i);
            }
        } finally {
            pool.shutdownNow();
        }
        assertFalse(serial.stream().distinct().count() < 4, "different seeds and prompts give different replies");
    }
}
