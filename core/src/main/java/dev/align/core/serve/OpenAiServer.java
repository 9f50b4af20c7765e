package dev.align.core.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.align.core.BadInputException;
import dev.align.core.io.Json;
import dev.align.core.logprob.TextLogProbs;
import dev.align.core.model.PolicyModel;
import dev.align.core.rollout.ChatPrompt;
import dev.align.core.rollout.FinishReason;
import dev.align.core.rollout.Prompt;
import dev.align.core.rollout.Rollout;
import dev.align.core.rollout.RolloutConfig;
import dev.align.core.rollout.RolloutEngine;
import dev.align.core.tokenizer.ChatTemplate.Message;
import dev.align.core.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OpenAI-compatible HTTP server for one model ({@code align serve}): {@code POST /v1/chat/completions},
 * {@code POST /v1/completions}, {@code GET /v1/models} and {@code GET /health}, on the JDK's HTTP server.
 *
 * <p>It answers with the code every in-process caller uses: prompts from {@link ChatPrompt}, samples from the
 * {@link RolloutEngine}, log-probs from {@link TextLogProbs}. Connections are read and parsed concurrently; the
 * model is not thread-safe, so it runs one call at a time: requests that arrive while a batch decodes are decoded
 * together next, one engine call per set of equal sampling settings ({@link BatchingDecoder}), and log-prob passes
 * run between calls.
 *
 * <p>Semantics, where OpenAI leaves a choice:
 * <ul>
 *   <li>{@code temperature} 0 is greedy; {@code top_p}, and vLLM's {@code top_k} and {@code min_p}, follow
 *       {@link RolloutConfig}'s warper order.
 *   <li>{@code seed} is the rollout seed: the request's prompt i (prompt 0 for chat) draws as prompt i of a
 *       {@link RolloutEngine#generate} call with that seed, so a client can reproduce a batched in-process call
 *       ({@link RolloutEngine#seedAsFirstPrompt}). Without a seed each request draws a random one.
 *   <li>{@code logprobs} are the model's own log-probs (τ = 1, before any sampling warper; vLLM's default
 *       {@code raw_logprobs}), computed by one scoring pass over the prompt and the reply. A final end-of-sequence
 *       token is not part of the content and gets none.
 *   <li>{@code text_offset} counts Unicode code points (Python's {@code len}) into the choice's {@code text}.
 *   <li>A chat prompt that leaves no room for {@code max_tokens} is a 400 with code
 *       {@code context_length_exceeded}; without {@code max_tokens} a chat reply may fill the context.
 *   <li>An echoed completions prompt that exactly fills the context with {@code max_tokens} 1 (lm-eval's way
 *       of asking for prompt log-probs) is scored and generates nothing ({@code finish_reason} length): scoring
 *       it needs no new position.
 *   <li>Fields that would change the answer and are not implemented ({@code logit_bias}, {@code suffix},
 *       {@code tools}, {@code response_format} other than text, {@code best_of} other than {@code n}) are a 400.
 *   <li>An {@link Error} while decoding stops the decoder: a 500 for the requests in that call, then a 503 for
 *       every request and {@code /health}.
 * </ul>
 *
 * <pre>{@code
 * try (OpenAiServer server = OpenAiServer.start(model, "m", new InetSocketAddress("127.0.0.1", 0), 64, 1)) {
 *     URI base = server.baseUrl(); // http://127.0.0.1:PORT/v1
 * }
 * }</pre>
 */
public final class OpenAiServer implements AutoCloseable {
    /** Requests read and waiting at once (so up to this many decode in one batch); the model runs one call at a time. */
    static final int CONNECTION_THREADS = 64;
    /** The largest request body read. */
    static final int MAX_BODY_BYTES = 32 << 20;
    /** {@code top_logprobs} and completions' {@code logprobs} at most, as OpenAI allows. */
    static final int MAX_TOP_LOGPROBS = 20;
    static final int MAX_N = 128;
    /** Completions' {@code max_tokens} when absent, as OpenAI's legacy API. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    private final PolicyModel model;
    private final String modelName;
    private final RolloutEngine engine;
    private final TextLogProbs scorer;
    private final int maxBatchSize;
    private final int threads;
    private final HttpServer http;
    private final ExecutorService connections;
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicLong requestIds = new AtomicLong();
    private final Object modelLock = new Object();
    private final BatchingDecoder decoder;
    private boolean closed; // guarded by modelLock
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

    private OpenAiServer(PolicyModel model, String modelName, HttpServer http, int maxBatchSize, int threads,
            BatchingDecoder.Generator generator) {
        this.model = model;
        this.modelName = modelName;
        this.engine = new RolloutEngine(model);
        this.scorer = new TextLogProbs(model);
        this.decoder = new BatchingDecoder(generator != null ? generator : engine::generate, modelLock);
        this.maxBatchSize = maxBatchSize;
        this.threads = threads;
        this.http = http;
        AtomicInteger n = new AtomicInteger();
        this.connections = Executors.newFixedThreadPool(CONNECTION_THREADS, r -> {
            Thread t = new Thread(r, "align-serve-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(connections);
        http.createContext("/", this::handle);
    }

    /**
     * Listens on {@code address} (port 0: any free port) and starts answering.
     *
     * @param modelName the {@code model} clients name ({@code GET /v1/models} lists it)
     * @param maxBatchSize rows decoded together
     * @param threads PyTorch threads while decoding (0: leave as is)
     * @throws BadInputException when the address cannot be bound (e.g. the port is in use)
     */
    public static OpenAiServer start(PolicyModel model, String modelName, InetSocketAddress address, int maxBatchSize,
            int threads) {
        return start(model, modelName, address, maxBatchSize, threads, null);
    }

    /** As {@link #start}, decoding with {@code generator} (null: the model's rollout engine); tests inject failures. */
    static OpenAiServer start(PolicyModel model, String modelName, InetSocketAddress address, int maxBatchSize,
            int threads, BatchingDecoder.Generator generator) {
        HttpServer http;
        try {
            http = HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new BadInputException("cannot listen on " + address.getHostString() + ":" + address.getPort() + ": "
                    + (e.getMessage() == null ? "address in use" : e.getMessage().toLowerCase(java.util.Locale.ROOT)));
        } catch (IOException e) {
            throw new BadInputException("cannot listen on " + address.getHostString() + ":" + address.getPort() + ": " + e.getMessage());
        }
        OpenAiServer server = new OpenAiServer(model, modelName, http, maxBatchSize, threads, generator);
        http.start();
        return server;
    }

    /** The port it listens on. */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The OpenAI base URL, {@code http://HOST:PORT/v1}. */
    public URI baseUrl() {
        java.net.InetAddress a = http.getAddress().getAddress();
        String host = a.isAnyLocalAddress() ? "0.0.0.0" : http.getAddress().getHostString(); // the wildcard, as written
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + port() + "/v1");
    }

    /** The address listened on (the wildcard address for every interface). */
    public java.net.InetAddress bindAddress() {
        return http.getAddress().getAddress();
    }

    public String modelName() {
        return modelName;
    }

    /**
     * Stops listening at once and waits for the model call in progress, if any, to end; no model call starts after
     * it. The model stays open (its owner closes it, safely once this returns).
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) return;
        http.stop(0);
        connections.shutdownNow();
        decoder.close();
        synchronized (modelLock) {
            closed = true;
        }
    }

    /** Runs a log-prob pass under the model lock, unless the server has closed. */
    private List<TextLogProbs.Scored> score(List<int[]> prefixes, List<int[]> targets, int topK) {
        synchronized (modelLock) {
            if (closed) throw new ApiError(503, "server_error", "the server is shutting down", null, null);
            return scorer.tokens(prefixes, targets, topK);
        }
    }

    // ---- HTTP ----

    private void handle(HttpExchange exchange) {
        int status = 200;
        JsonNode body;
        try {
            body = route(exchange);
        } catch (ApiError e) {
            status = e.status;
            body = e.body();
        } catch (IllegalArgumentException | BadInputException e) {
            ApiError error = ApiError.badField(null, oneLine(e.getMessage()));
            status = error.status;
            body = error.body();
        } catch (RuntimeException e) {
            ApiError error = new ApiError(500, "internal_error", e.getClass().getSimpleName() + ": " + oneLine(e.getMessage()),
                    null, null);
            status = error.status;
            body = error.body();
        }
        try {
            byte[] bytes = Json.compact(body).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            // the client went away; nothing to answer
        } finally {
            exchange.close();
        }
    }

    private JsonNode route(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        if (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
        String method = exchange.getRequestMethod();
        switch (path) {
            case "/health":
                expect(method, "GET", path);
                if (decoder.failure() != null) throw decoder.failure(); // 503: the decoder stopped
                return Json.MAPPER.createObjectNode().put("status", "ok");
            case "/v1/models":
                expect(method, "GET", path);
                return models();
            case "/v1/chat/completions":
                expect(method, "POST", path);
                return chat(new RequestFields(readObject(exchange)));
            case "/v1/completions":
                expect(method, "POST", path);
                return completions(new RequestFields(readObject(exchange)));
            default:
                throw new ApiError(404, "not_found_error", "no such route: " + method + " " + path, null, null);
        }
    }

    private static void expect(String method, String wanted, String path) {
        if (!method.equals(wanted)) {
            throw new ApiError(405, "invalid_request_error", path + " takes " + wanted + ", not " + method, null, null);
        }
    }

    private static ObjectNode readObject(HttpExchange exchange) {
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw ApiError.badField(null, "cannot read the request body: " + e.getMessage());
        }
        if (bytes.length > MAX_BODY_BYTES) throw ApiError.badField(null, "request body over " + MAX_BODY_BYTES + " bytes");
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiError.badField(null, "malformed JSON: " + Json.problem(e));
        } catch (IOException e) {
            throw ApiError.badField(null, "cannot read the request body: " + e.getMessage());
        }
        if (node == null || !node.isObject()) throw ApiError.badField(null, "the request body must be a JSON object");
        return (ObjectNode) node;
    }

    // ---- routes ----

    private ObjectNode models() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("object", "list");
        ObjectNode m = root.putArray("data").addObject();
        m.put("id", modelName);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "align");
        m.put("max_model_len", model.config().maxPositions());
        return root;
    }

    private ObjectNode chat(RequestFields f) {
        checkModel(f);
        List<Message> messages = messages(f);
        boolean continueFinal = f.bool("continue_final_message", false);
        boolean generationPrompt = f.bool("add_generation_prompt", !continueFinal);
        boolean logprobs = f.bool("logprobs", false);
        int topLogprobs = (int) f.integer("top_logprobs", 0, 0, MAX_TOP_LOGPROBS);
        if (topLogprobs > 0 && !logprobs) throw ApiError.badField("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        Tokenizer tok = model.tokenizer();
        String text;
        try {
            text = ChatPrompt.render(tok, messages, generationPrompt, continueFinal);
        } catch (IllegalArgumentException | BadInputException e) {
            throw ApiError.badField("messages", oneLine(e.getMessage()));
        }
        int[] ids = tok.encode(text, false);
        if (ids.length == 0) throw ApiError.badField("messages", "the rendered conversation has no tokens");
        int room = Math.max(0, model.config().maxPositions() - ids.length);
        Sampling s = sampling(f, room, 1);
        checkFits(ids.length, s.maxTokens, "messages");
        List<Rollout> rollouts = decoder.generate(List.of(ids), s.config(maxBatchSize, threads));
        List<TextLogProbs.Scored> scores = null;
        if (logprobs) {
            List<int[]> prefixes = new ArrayList<>(), targets = new ArrayList<>();
            for (Rollout r : rollouts) {
                prefixes.add(ids);
                targets.add(content(r));
            }
            scores = score(prefixes, targets, topLogprobs);
        }
        ObjectNode root = header("chatcmpl-", "chat.completion");
        ArrayNode choices = root.putArray("choices");
        long completionTokens = 0;
        for (int g = 0; g < rollouts.size(); g++) {
            Rollout r = rollouts.get(g);
            completionTokens += r.completionIds().length;
            ObjectNode c = choices.addObject();
            c.put("index", g);
            ObjectNode message = c.putObject("message");
            message.put("role", "assistant");
            message.put("content", r.text());
            if (scores == null) {
                c.putNull("logprobs");
            } else {
                ArrayNode content = c.putObject("logprobs").putArray("content");
                int[] tokens = content(r);
                TextLogProbs.Scored sc = scores.get(g);
                for (int t = 0; t < tokens.length; t++) {
                    ObjectNode entry = tokenEntry(content.addObject(), tokens[t], sc.logProbs()[t]);
                    ArrayNode top = entry.putArray("top_logprobs");
                    for (int k = 0; k < topLogprobs; k++) tokenEntry(top.addObject(), sc.topIds()[t][k], sc.topLogProbs()[t][k]);
                }
            }
            c.put("finish_reason", r.finishReason().openAiName());
        }
        usage(root, ids.length, completionTokens);
        return root;
    }

    private ObjectNode completions(RequestFields f) {
        checkModel(f);
        JsonNode p = f.get("prompt");
        if (p == null) throw ApiError.badField("prompt", "'prompt' is required");
        if (p.isArray() && p.size() > 0 && p.get(0).isNumber()) {
            throw ApiError.badField("prompt", "token-id prompts are not supported; send text");
        }
        List<String> texts = f.texts("prompt");
        if (texts.isEmpty()) throw ApiError.badField("prompt", "'prompt' must not be an empty list");
        boolean echo = f.bool("echo", false);
        int logprobs = (int) f.integer("logprobs", -1, 0, MAX_TOP_LOGPROBS);
        Sampling s = sampling(f, COMPLETIONS_DEFAULT_MAX_TOKENS, 0);
        Tokenizer tok = model.tokenizer();
        List<Tokenizer.Spans> spans = new ArrayList<>();
        List<Prompt> decoded = new ArrayList<>();
        boolean[] full = new boolean[texts.size()];
        long promptTokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            Tokenizer.Spans sp = tok.encodeWithSpans(texts.get(i), true); // special tokens as vLLM adds them (a BOS)
            if (sp.length() == 0) throw ApiError.badField("prompt", "prompt " + i + " has no tokens");
            // Scoring an echoed prompt needs no new position: one that fills the context with lm-eval's
            // max_tokens 1 is scored and generates nothing past the context (finish_reason length).
            full[i] = echo && s.maxTokens == 1 && sp.length() == model.config().maxPositions();
            if (!full[i]) {
                checkFits(sp.length(), s.maxTokens, "prompt");
                decoded.add(new Prompt(i, sp.ids()));
            }
            spans.add(sp);
            promptTokens += sp.length();
        }
        List<Rollout> generated = decoded.isEmpty() ? List.of() : decoder.generateNumbered(decoded, s.config(maxBatchSize, threads));
        List<Rollout> rollouts = new ArrayList<>(); // p·n + g, as one engine call returns them
        for (int i = 0, at = 0; i < texts.size(); i++) {
            for (int g = 0; g < s.n; g++) {
                rollouts.add(full[i] ? new Rollout(i, g, spans.get(i).ids(), new int[0], new float[0], FinishReason.LENGTH, "")
                        : generated.get(at++));
            }
        }
        List<TextLogProbs.Scored> scores = null;
        if (logprobs >= 0) {
            List<int[]> prefixes = new ArrayList<>(), targets = new ArrayList<>();
            for (Rollout r : rollouts) {
                int[] ids = r.promptIds(), tokens = content(r);
                if (echo) { // score every prompt token after the first, then the reply, in one pass
                    prefixes.add(Arrays.copyOf(ids, 1));
                    int[] all = Arrays.copyOfRange(ids, 1, ids.length + tokens.length);
                    System.arraycopy(tokens, 0, all, ids.length - 1, tokens.length);
                    targets.add(all);
                } else {
                    prefixes.add(ids);
                    targets.add(tokens);
                }
            }
            scores = score(prefixes, targets, logprobs);
        }
        ObjectNode root = header("cmpl-", "text_completion");
        ArrayNode choices = root.putArray("choices");
        long completionTokens = 0;
        for (int c = 0; c < rollouts.size(); c++) {
            Rollout r = rollouts.get(c);
            int i = (int) r.promptIndex();
            completionTokens += r.completionIds().length;
            String prompt = texts.get(i);
            ObjectNode choice = choices.addObject();
            choice.put("index", c);
            choice.put("text", echo ? prompt + r.text() : r.text());
            if (scores == null) {
                choice.putNull("logprobs");
            } else {
                completionLogprobs(choice.putObject("logprobs"), echo ? spans.get(i) : null, prompt, content(r),
                        scores.get(c), logprobs);
            }
            choice.put("finish_reason", r.finishReason().openAiName());
        }
        usage(root, promptTokens, completionTokens);
        return root;
    }

    /**
     * The legacy {@code logprobs} object: {@code tokens}, {@code token_logprobs} (null for an echoed first token),
     * {@code top_logprobs} ({token: logprob} of the k most likely tokens plus the chosen one) and
     * {@code text_offset} (code points into the choice's text).
     *
     * @param echoed the prompt's tokens with their spans when echoed, else null
     * @param scored log-probs of the echoed prompt tokens after the first (when echoed), then of the reply's
     */
    private void completionLogprobs(ObjectNode out, Tokenizer.Spans echoed, String prompt, int[] reply,
            TextLogProbs.Scored scored, int topK) {
        Tokenizer tok = model.tokenizer();
        ArrayNode tokens = out.putArray("tokens"), logprobs = out.putArray("token_logprobs"),
                top = out.putArray("top_logprobs"), offsets = out.putArray("text_offset");
        int scoredAt = 0, base = 0;
        if (echoed != null) {
            for (int t = 0; t < echoed.length(); t++) {
                int id = echoed.ids()[t];
                tokens.add(tok.decode(new int[] {id}, false));
                int start = Math.max(0, echoed.start()[t]);
                offsets.add(prompt.codePointCount(0, Math.min(start, prompt.length())));
                if (t == 0) {
                    logprobs.addNull();
                    top.addNull();
                } else {
                    scoredEntry(logprobs, top, id, scored, scoredAt++, topK);
                }
            }
            base = prompt.codePointCount(0, prompt.length());
        }
        for (int t = 0; t < reply.length; t++) {
            tokens.add(tok.decode(new int[] {reply[t]}, false));
            String before = tok.decode(Arrays.copyOf(reply, t), true);
            offsets.add(base + before.codePointCount(0, before.length()));
            scoredEntry(logprobs, top, reply[t], scored, scoredAt++, topK);
        }
    }

    private void scoredEntry(ArrayNode logprobs, ArrayNode top, int id, TextLogProbs.Scored scored, int t, int topK) {
        Tokenizer tok = model.tokenizer();
        logprobs.add(scored.logProbs()[t]);
        ObjectNode alternatives = top.addObject();
        for (int k = 0; k < topK; k++) {
            String token = tok.decode(new int[] {scored.topIds()[t][k]}, false);
            if (!alternatives.has(token)) alternatives.put(token, scored.topLogProbs()[t][k]);
        }
        String chosen = tok.decode(new int[] {id}, false);
        if (!alternatives.has(chosen)) alternatives.put(chosen, scored.logProbs()[t]);
    }

    // ---- pieces ----

    private void checkModel(RequestFields f) {
        String name = f.text("model");
        if (name != null && !name.equals(modelName)) {
            throw new ApiError(404, "not_found_error", "The model `" + name + "` does not exist (this server has `"
                    + modelName + "`).", "model", "model_not_found");
        }
        if (f.bool("stream", false)) throw ApiError.badField("stream", "streaming is not supported");
        for (String penalty : List.of("frequency_penalty", "presence_penalty")) {
            if (f.number(penalty, 0, -2, 2) != 0) throw ApiError.badField(penalty, "'" + penalty + "' is not supported");
        }
        // Fields that would change the answer if honoured: refused rather than silently ignored.
        for (String field : List.of("logit_bias", "suffix", "tools", "tool_choice", "functions", "function_call")) {
            JsonNode v = f.get(field);
            boolean empty = v == null || v.isNull() || (v.isContainerNode() && v.isEmpty()) || (v.isTextual() && v.asText().isEmpty())
                    || (field.equals("tool_choice") || field.equals("function_call")) && v.isTextual() && v.asText().equals("none");
            if (!empty) throw ApiError.badField(field, "'" + field + "' is not supported");
        }
        JsonNode format = f.get("response_format");
        if (format != null && !format.isNull() && !"text".equals(format.path("type").asText())) {
            throw ApiError.badField("response_format", "only {\"type\": \"text\"} is supported");
        }
        if (f.has("best_of") && f.integer("best_of", 1, 1, MAX_N) != f.integer("n", 1, 1, MAX_N)) {
            throw ApiError.badField("best_of", "'best_of' other than n is not supported");
        }
    }

    private void checkFits(int promptTokens, int maxTokens, String param) {
        int context = model.config().maxPositions();
        if ((long) promptTokens + maxTokens > context) { // RolloutEngine.fits, without int overflow
            throw new ApiError(400, "invalid_request_error", "This model's maximum context length is " + context
                    + " tokens. However, you requested " + ((long) promptTokens + maxTokens) + " tokens (" + promptTokens
                    + " in the " + param + ", " + maxTokens + " in the completion). Please reduce the length of the "
                    + param + " or completion.", param, ApiError.CONTEXT_LENGTH_EXCEEDED);
        }
    }

    private static List<Message> messages(RequestFields f) {
        JsonNode list = f.get("messages");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw ApiError.badField("messages", "'messages' must be a non-empty list of {role, content}");
        }
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) throw ApiError.badField(where, "'" + where + "' must be an object with role and content");
            String role = m.path("role").asText(null);
            if (!m.path("role").isTextual() || !ROLES.contains(role)) {
                throw ApiError.badField(where + ".role", "'" + where + ".role' must be system, user or assistant, got "
                        + m.get("role"));
            }
            out.add(new Message(role, content(m.get("content"), where + ".content")));
        }
        return out;
    }

    /** A message's content: a string, or a list of {@code {type: text, text}} parts joined. */
    private static String content(JsonNode c, String where) {
        if (c != null && c.isTextual()) return c.asText();
        if (c != null && c.isArray()) {
            StringBuilder s = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiError.badField(where, "'" + where + "' parts must be {\"type\": \"text\", \"text\": ...}");
                }
                s.append(part.get("text").asText());
            }
            return s.toString();
        }
        throw ApiError.badField(where, "'" + where + "' must be a string, got " + c);
    }

    /** A sample's content tokens: its completion without a final end-of-sequence token. */
    private static int[] content(Rollout r) {
        int[] ids = r.completionIds();
        return r.finishReason() == FinishReason.EOS ? Arrays.copyOf(ids, ids.length - 1) : ids;
    }

    private ObjectNode tokenEntry(ObjectNode entry, int id, float logprob) {
        String token = model.tokenizer().decode(new int[] {id}, false);
        entry.put("token", token);
        entry.put("logprob", logprob);
        ArrayNode bytes = entry.putArray("bytes");
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
        return entry;
    }

    private ObjectNode header(String idPrefix, String object) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", idPrefix + Long.toHexString(created) + "-" + requestIds.incrementAndGet());
        root.put("object", object);
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", modelName);
        return root;
    }

    private static void usage(ObjectNode root, long promptTokens, long completionTokens) {
        ObjectNode u = root.putObject("usage");
        u.put("prompt_tokens", promptTokens);
        u.put("completion_tokens", completionTokens);
        u.put("total_tokens", promptTokens + completionTokens);
    }

    /** A request's sampling fields. */
    private record Sampling(int maxTokens, float temperature, float topP, int topK, float minP, List<String> stop, int n,
            long seed) {
        RolloutConfig config(int maxBatchSize, int threads) {
            return new RolloutConfig(maxTokens, temperature, topK, topP, minP, n, List.of(), stop, seed, maxBatchSize,
                    threads, true);
        }
    }

    private static Sampling sampling(RequestFields f, int defaultMaxTokens, int minMaxTokens) {
        String maxName = f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int maxTokens = (int) f.integer(maxName, defaultMaxTokens, minMaxTokens, Integer.MAX_VALUE);
        float temperature = (float) f.number("temperature", 1, 0, Float.MAX_VALUE);
        float topP = (float) f.number("top_p", 1, 0, 1);
        if (!(topP > 0)) throw ApiError.badField("top_p", "'top_p' must be in (0, 1], got 0");
        int topK = (int) f.integer("top_k", 0, -1, Integer.MAX_VALUE);
        float minP = (float) f.number("min_p", 0, 0, 1);
        List<String> stop = f.texts("stop");
        if (stop.stream().anyMatch(String::isEmpty)) throw ApiError.badField("stop", "'stop' strings must not be empty");
        int n = (int) f.integer("n", 1, 1, MAX_N);
        long seed = f.has("seed") ? f.integer("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : ThreadLocalRandom.current().nextLong();
        return new Sampling(maxTokens, temperature, topP, Math.max(0, topK), minP, stop, n, seed);
    }

    private static String oneLine(String message) {
        if (message == null) return "unknown error";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
