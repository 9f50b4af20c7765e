package dev.align.core.inference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align.core.BadInputException;
import dev.align.core.io.Json;
import dev.align.core.rollout.RolloutEngine;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Any OpenAI-compatible server asked through {@link InferenceModel} (vLLM, SGLang, llama.cpp's server, {@code align serve}):
 * {@code --endpoint NAME=URL}, with {@code concurrency} requests in flight.
 *
 * <ul>
 *   <li>{@link #reply}: one {@code POST /chat/completions} per conversation; a trailing assistant message is
 *       sent with vLLM's {@code continue_final_message: true, add_generation_prompt: false}. Conversation i is
 *       sent the seed {@link RolloutEngine#seedAsFirstPrompt}(seed, i), so {@code align serve} samples exactly
 *       what {@link LocalModel} samples in one batched call. A 400 with {@code context_length_exceeded} (or
 *       vLLM's "maximum context length" message) is a {@link Reply#TOO_LONG} reply, as in-process.
 *   <li>A server without vLLM's prefill (OpenAI's API, some proxies) answers a trailing assistant message with a
 *       new turn. Where that shows, it is undone: a 400 (or 422) naming {@code continue_final_message} or
 *       {@code add_generation_prompt} sends the conversation again without them (and later ones without them
 *       from the start), and a reply that begins by repeating its prefill has the prefill cut. A new turn that
 *       does not repeat the prefill cannot be told from a continuation; {@link #notes} says what was seen.
 *   <li>{@link #continuationLogProbs}: {@code POST /completions} with the prompt and continuation concatenated,
 *       {@code echo: true, logprobs: 1, max_tokens: 1} (vLLM refuses {@code max_tokens: 0}; lm-eval sends 1 too),
 *       summing {@code token_logprobs} of the echoed tokens whose {@code text_offset} lies in the continuation,
 *       i.e. from the prompt's length (in code points, as servers count) to the text's end. Empty when the server
 *       does not return prompt log-probs (no completions API, echo refused or ignored, no logprobs).
 *   <li>{@link #optionLogProbs}: {@code POST /chat/completions} continuing the prefill with {@code max_tokens: 1,
 *       logprobs: true, top_logprobs: 20}, each option read from the first position's top log-probs (so one token
 *       each); a server without {@code continue_final_message} cannot do this and is an {@link EndpointException}.
 * </ul>
 * A busy answer (429, 502, 503, 504) is retried a few times; other failures are one-line {@link EndpointException}s
 * naming the endpoint, the URL and what went wrong.
 */
public final class EndpointModel implements InferenceModel {
    public static final int DEFAULT_CONCURRENCY = 8;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(300);
    /** Texts per {@code /completions} request when scoring continuations. */
    static final int SCORE_BATCH = 16;
    /** Sends of one request at most when the server answers busy (429, 502, 503, 504). */
    static final int ATTEMPTS = 4;
    /** The first wait before a retry (then doubling), unless the server sends {@code Retry-After}. */
    static final Duration BACKOFF = Duration.ofMillis(500);
    private static final java.util.Set<Integer> BUSY = java.util.Set.of(429, 502, 503, 504);
    /** The environment variable holding a bearer token, as OpenAI's clients read it. */
    public static final String API_KEY_ENV = "OPENAI_API_KEY";

    /**
     * {@code --endpoint NAME=URL[#MODEL]}: a report name, an OpenAI base URL ({@code http://127.0.0.1:8000/v1})
     * and the {@code model} to request (null: the first one {@code GET /models} lists).
     */
    public record Target(String name, URI baseUrl, String model) {
        public static Target parse(String spec) {
            int eq = spec.indexOf('=');
            String usage = "--endpoint '" + spec + "': expected NAME=URL[#MODEL], e.g. local=http://127.0.0.1:8000/v1";
            if (eq <= 0 || eq == spec.length() - 1) throw new BadInputException(usage);
            String name = spec.substring(0, eq).strip(), url = spec.substring(eq + 1).strip();
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                throw new BadInputException(usage + " (" + e.getReason() + ")");
            }
            if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
                throw new BadInputException(usage + " (the URL needs http:// or https:// and a host)");
            }
            String model = uri.getFragment() == null || uri.getFragment().isEmpty() ? null : uri.getFragment();
            String base = url.contains("#") ? url.substring(0, url.indexOf('#')) : url;
            while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
            return new Target(name, URI.create(base), model);
        }
    }

    private final Target target;
    private final String apiKey;
    private final Duration timeout;
    private final HttpClient client;
    private final ExecutorService requests;
    private volatile String model;
    /** The server refused vLLM's prefill fields: prefilled conversations go without them. */
    private final java.util.concurrent.atomic.AtomicBoolean prefillFieldsRefused = new java.util.concurrent.atomic.AtomicBoolean();
    private final AtomicInteger sentWithoutPrefillFields = new AtomicInteger(), prefillsRepeated = new AtomicInteger();
    static final List<String> PREFILL_FIELDS = List.of("continue_final_message", "add_generation_prompt");
    /** Alternatives read at an option readout's first position: OpenAI's and vLLM's largest {@code top_logprobs}. */
    static final int OPTION_TOP_LOGPROBS = 20;
    private final AtomicInteger optionsOutsideTop = new AtomicInteger(), optionReadoutsUnread = new AtomicInteger();

    /**
     * @param apiKey sent as {@code Authorization: Bearer}, or null
     * @param concurrency requests in flight at once
     * @param timeout per request
     */
    public EndpointModel(Target target, String apiKey, int concurrency, Duration timeout) {
        if (concurrency < 1) throw new IllegalArgumentException("concurrency must be >= 1, got " + concurrency);
        this.target = target;
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        this.timeout = timeout;
        this.model = target.model();
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        AtomicInteger n = new AtomicInteger();
        this.requests = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "endpoint-" + target.name() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** With the API key from {@code OPENAI_API_KEY}, {@link #DEFAULT_CONCURRENCY} and {@link #DEFAULT_TIMEOUT}. */
    public static EndpointModel of(Target target) {
        return new EndpointModel(target, System.getenv(API_KEY_ENV), DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT);
    }

    @Override
    public String name() {
        return target.name();
    }

    public Target target() {
        return target;
    }

    @Override
    public List<Reply> reply(List<List<Message>> conversations, ReplySettings settings) {
        String served = model();
        List<ObjectNode> bodies = new ArrayList<>();
        List<String> prefills = new ArrayList<>();
        for (int i = 0; i < conversations.size(); i++) {
            List<Message> conversation = conversations.get(i);
            ObjectNode body = chatRequest(served, conversation);
            Message last = conversation.get(conversation.size() - 1);
            prefills.add(last.role().equals("assistant") ? last.content() : null);
            body.put("max_tokens", settings.maxTokens());
            body.put("temperature", settings.temperature());
            body.put("top_p", settings.topP());
            body.put("seed", RolloutEngine.seedAsFirstPrompt(settings.seed(), i));
            if (!settings.stop().isEmpty()) settings.stop().forEach(body.withArray("stop")::add);
            body.put("n", 1);
            bodies.add(body);
        }
        return all(bodies, (i, body) -> {
            boolean prefilled = prefills.get(i) != null;
            if (prefilled && prefillFieldsRefused.get()) body = withoutPrefillFields(body);
            Response r = post("/chat/completions", body);
            if (prefilled && r.refuses(PREFILL_FIELDS) && body.has(PREFILL_FIELDS.get(0))) {
                prefillFieldsRefused.set(true);
                body = withoutPrefillFields(body);
                r = post("/chat/completions", body);
            }
            if (r.status == 400 && r.contextTooLong()) return new Reply("", Reply.TOO_LONG);
            JsonNode choice = r.ok().firstChoice();
            JsonNode message = choice.get("message");
            if (message == null || !message.isObject()) throw r.malformed("missing 'choices[0].message'");
            JsonNode content = message.get("content");
            if (content != null && !content.isNull() && !content.isTextual()) throw r.malformed("'content' is not a string");
            String finish = choice.path("finish_reason").asText("stop");
            String text = content == null || content.isNull() ? "" : content.asText();
            return new Reply(prefilled ? withoutRepeatedPrefill(text, prefills.get(i)) : text,
                    finish.equals("length") ? "length" : "stop");
        });
    }

    /**
     * A {@code /chat/completions} body with the model and the messages; a trailing assistant message is sent as a
     * prefill, with vLLM's {@code continue_final_message: true, add_generation_prompt: false}.
     */
    private static ObjectNode chatRequest(String served, List<Message> conversation) {
        if (conversation.isEmpty()) throw new IllegalArgumentException("empty conversation");
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", served);
        ArrayNode messages = body.putArray("messages");
        for (Message m : conversation) messages.addObject().put("role", m.role()).put("content", m.content());
        if (conversation.get(conversation.size() - 1).role().equals("assistant")) {
            body.put("continue_final_message", true);
            body.put("add_generation_prompt", false);
        }
        return body;
    }

    /**
     * One {@code /chat/completions} request per conversation, the prefill continued ({@code continue_final_message}),
     * with {@code max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: 20}: option k's log-prob is the log of
     * the summed probability of the first generated position's top entries whose token, stripped of surrounding
     * white space, is the option or the option and {@code ")"} (token {@code "A)"} counts for {@code "A"}). So an
     * option must be one token (a letter, as AI feedback's {@code "(A)"} after a prefill ending in {@code "("}).
     * An option outside the top 20 gets the smallest of them, an upper bound (counted in {@link #notes}). A
     * conversation longer than the server's context, or one whose reply ends at once (an end-of-sequence token
     * carries no log-probs on some servers), gets a row of NaN. A server refusing the prefill fields is an
     * {@link EndpointException}: without them the options would follow a new turn, not the prefill.
     */
    @Override
    public List<double[]> optionLogProbs(List<List<Message>> conversations, List<String> options) {
        MultipleChoice.check(conversations, options);
        String served = model();
        List<ObjectNode> bodies = new ArrayList<>();
        for (List<Message> conversation : conversations) {
            ObjectNode body = chatRequest(served, conversation);
            body.put("max_tokens", 1);
            body.put("temperature", 0);
            body.put("logprobs", true);
            body.put("top_logprobs", OPTION_TOP_LOGPROBS);
            body.put("n", 1);
            bodies.add(body);
        }
        double[] unread = new double[options.size()];
        java.util.Arrays.fill(unread, Double.NaN);
        return all(bodies, (i, body) -> {
            Response r = post("/chat/completions", body);
            if (r.refuses(PREFILL_FIELDS)) {
                throw new EndpointException(r.where + ": AI feedback through an endpoint needs continue_final_message "
                        + "(vLLM, align serve); this server refuses it (HTTP " + r.status + ": " + r.message() + ")");
            }
            if (r.status == 400 && r.contextTooLong()) return unread.clone();
            JsonNode content = r.ok().firstChoice().path("logprobs").get("content");
            if (content == null || !content.isArray()) throw r.malformed("no 'choices[0].logprobs.content': 'logprobs' ignored");
            if (content.isEmpty()) {
                optionReadoutsUnread.incrementAndGet();
                return unread.clone();
            }
            JsonNode top = content.get(0).get("top_logprobs");
            if (top == null || !top.isArray() || top.isEmpty()) throw r.malformed("no 'top_logprobs' at the first position");
            double[] mass = new double[options.size()];
            double floor = Double.POSITIVE_INFINITY;
            for (JsonNode entry : top) {
                JsonNode lp = entry.get("logprob");
                if (lp == null || !lp.isNumber() || !entry.path("token").isTextual()) throw r.malformed("a 'top_logprobs' entry without token and logprob");
                floor = Math.min(floor, lp.asDouble());
                String token = entry.get("token").asText().strip();
                for (int k = 0; k < mass.length; k++) {
                    if (token.equals(options.get(k)) || token.equals(options.get(k) + ")")) mass[k] += Math.exp(lp.asDouble());
                }
            }
            double[] row = new double[mass.length];
            for (int k = 0; k < row.length; k++) {
                if (mass[k] > 0) {
                    row[k] = Math.log(mass[k]);
                } else {
                    row[k] = floor;
                    optionsOutsideTop.incrementAndGet();
                }
            }
            return row;
        });
    }

    private ObjectNode withoutPrefillFields(ObjectNode body) {
        sentWithoutPrefillFields.incrementAndGet();
        ObjectNode plain = body.deepCopy();
        plain.remove(PREFILL_FIELDS);
        return plain;
    }

    /**
     * A reply that starts (after white space) with its prefill was a new turn that wrote the prefill again: the
     * continuation is what follows it.
     */
    private String withoutRepeatedPrefill(String reply, String prefill) {
        String lead = reply.stripLeading();
        for (String p : List.of(prefill.stripLeading(), prefill.strip())) {
            if (!p.isEmpty() && lead.startsWith(p)) {
                prefillsRepeated.incrementAndGet();
                return lead.substring(p.length());
            }
        }
        return reply;
    }

    /**
     * What the replies so far showed about the server's prefill support (empty when nothing): for the run's notes.
     */
    @Override
    public List<String> notes() {
        List<String> out = new ArrayList<>();
        if (prefillFieldsRefused.get()) {
            out.add(target.name() + " refuses vLLM's continue_final_message: " + sentWithoutPrefillFields.get()
                    + " prefilled conversations were sent without it, so a reply may be a new turn, not the prefill's continuation");
        }
        if (prefillsRepeated.get() > 0) {
            out.add(target.name() + " answered " + prefillsRepeated.get() + " prefilled conversations with a new turn "
                    + "repeating the prefill: it was cut from those replies");
        }
        if (optionsOutsideTop.get() > 0) {
            out.add(target.name() + ": " + optionsOutsideTop.get() + " option readouts fell outside the endpoint's top "
                    + OPTION_TOP_LOGPROBS + "; their log-prob is bounded by the " + OPTION_TOP_LOGPROBS + "th");
        }
        if (optionReadoutsUnread.get() > 0) {
            out.add(target.name() + ": " + optionReadoutsUnread.get() + " option readouts came back without log-probs (the "
                    + "reply ended at once); their rows are NaN");
        }
        return out;
    }

    /**
     * A request holding a pair longer than the server's context is refused as a whole: ask pair by pair, and
     * give the pairs that do not fit NaN, as {@link LocalModel} does.
     */
    private Optional<double[]> scoreOneByOne(ObjectNode body, List<String> prompts, int from) {
        JsonNode texts = body.get("prompt");
        double[] sums = new double[texts.size()];
        for (int k = 0; k < texts.size(); k++) {
            ObjectNode one = body.deepCopy();
            one.putArray("prompt").add(texts.get(k).asText());
            Response r = post("/completions", one);
            if (r.status == 400 && r.contextTooLong()) {
                sums[k] = Double.NaN;
                continue;
            }
            JsonNode choices = r.ok().json.get("choices");
            if (choices == null || !choices.isArray() || choices.size() != 1) throw r.malformed("expected 1 'choices'");
            OptionalDouble sum = continuationSum(r, choices.get(0), prompts.get(from + k), texts.get(k).asText());
            if (sum.isEmpty()) return Optional.empty();
            sums[k] = sum.getAsDouble();
        }
        return Optional.of(sums);
    }

    @Override
    public Optional<double[]> continuationLogProbs(List<String> prompts, List<String> continuations) {
        if (prompts.size() != continuations.size()) throw new IllegalArgumentException("one continuation per prompt");
        String served = model();
        List<ObjectNode> bodies = new ArrayList<>();
        for (int from = 0; from < prompts.size(); from += SCORE_BATCH) {
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("model", served);
            ArrayNode texts = body.putArray("prompt");
            for (int i = from; i < Math.min(prompts.size(), from + SCORE_BATCH); i++) texts.add(prompts.get(i) + continuations.get(i));
            body.put("max_tokens", 1);
            body.put("temperature", 0);
            body.put("echo", true);
            body.put("logprobs", 1);
            bodies.add(body);
        }
        List<Optional<double[]>> parts = all(bodies, (b, body) -> {
            Response r = post("/completions", body);
            if (r.status == 400 && r.contextTooLong()) return scoreOneByOne(body, prompts, b * SCORE_BATCH);
            if (r.status == 404 || r.status == 405 || r.status == 501) return Optional.empty();
            if (r.status == 400 && r.message().toLowerCase(java.util.Locale.ROOT).matches("(?s).*\\b(echo|logprobs)\\b.*")) {
                return Optional.empty();
            }
            JsonNode choices = r.ok().json.get("choices");
            if (choices == null || !choices.isArray() || choices.size() != body.get("prompt").size()) {
                throw r.malformed("expected " + body.get("prompt").size() + " 'choices'");
            }
            int from = b * SCORE_BATCH; // this request's first row
            double[] sums = new double[choices.size()];
            for (JsonNode c : choices) {
                int k = c.path("index").asInt(-1);
                if (k < 0 || k >= sums.length) throw r.malformed("choice index " + c.get("index") + " out of range");
                OptionalDouble sum = continuationSum(r, c, prompts.get(from + k), body.get("prompt").get(k).asText());
                if (sum.isEmpty()) return Optional.empty();
                sums[k] = sum.getAsDouble();
            }
            return Optional.of(sums);
        });
        double[] out = new double[prompts.size()];
        for (int b = 0; b < parts.size(); b++) {
            if (parts.get(b).isEmpty()) return Optional.empty();
            double[] part = parts.get(b).get();
            System.arraycopy(part, 0, out, b * SCORE_BATCH, part.length);
        }
        return Optional.of(out);
    }

    /** Σ token_logprobs over echoed tokens starting in [prompt's end, text's end); empty when not echoed with log-probs. */
    private static OptionalDouble continuationSum(Response r, JsonNode choice, String prompt, String text) {
        JsonNode lp = choice.get("logprobs");
        if (lp == null || !lp.isObject()) return OptionalDouble.empty();
        JsonNode values = lp.get("token_logprobs"), offsets = lp.get("text_offset");
        if (values == null || offsets == null || !values.isArray() || !offsets.isArray()) return OptionalDouble.empty();
        if (!choice.path("text").asText("").startsWith(text)) return OptionalDouble.empty(); // echo ignored
        if (values.size() != offsets.size()) throw r.malformed("'token_logprobs' and 'text_offset' differ in length");
        int start = prompt.codePointCount(0, prompt.length()), end = text.codePointCount(0, text.length());
        double sum = 0;
        int before = 0, inside = 0;
        for (int t = 0; t < values.size(); t++) {
            int offset = offsets.get(t).asInt(-1);
            if (offset < start) {
                before++;
            } else if (offset < end) {
                JsonNode v = values.get(t);
                if (v == null || !v.isNumber()) return OptionalDouble.empty();
                sum += v.asDouble();
                inside++;
            }
        }
        if (before == 0 || inside == 0) {
            throw new IllegalArgumentException("continuation of '" + shorten(prompt) + "' has no token of its own, or its prompt has none");
        }
        return OptionalDouble.of(sum);
    }

    @Override
    public void close() {
        requests.shutdownNow();
    }

    /** The served model's name: the target's, else the first {@code GET /models} lists. */
    private String model() {
        String m = model;
        if (m != null) return m;
        synchronized (this) {
            if (model == null) {
                Response r = get("/models").ok();
                JsonNode id = r.json.path("data").path(0).get("id");
                if (id == null || !id.isTextual()) throw r.malformed("missing 'data[0].id'");
                model = id.asText();
            }
            return model;
        }
    }

    // ---- HTTP ----

    private interface Call<T> {
        T apply(int index, ObjectNode body);
    }

    /** Runs every call with {@code concurrency} in flight; results in order; the first failure is thrown. */
    private <T> List<T> all(List<ObjectNode> bodies, Call<T> call) {
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            int index = i;
            futures.add(requests.submit(() -> call.apply(index, bodies.get(index))));
        }
        List<T> out = new ArrayList<>();
        try {
            for (Future<T> f : futures) out.add(f.get());
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new EndpointException(where("") + ": " + e.getCause());
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new EndpointException(where("") + ": interrupted");
        }
        return out;
    }

    private String where(String path) {
        return "endpoint '" + target.name() + "' (" + target.baseUrl() + path + ")";
    }

    private Response get(String path) {
        return send(path, HttpRequest.newBuilder(URI.create(target.baseUrl() + path)).GET());
    }

    private Response post(String path, ObjectNode body) {
        return send(path, HttpRequest.newBuilder(URI.create(target.baseUrl() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.compact(body))));
    }

    /**
     * Sends a request; a busy server's answer (429, 502, 503, 504) is retried up to {@link #ATTEMPTS} times in all,
     * after its {@code Retry-After} seconds (at most 30) or {@link #BACKOFF} doubling.
     */
    private Response send(String path, HttpRequest.Builder request) {
        request.timeout(timeout);
        if (apiKey != null) request.header("Authorization", "Bearer " + apiKey);
        HttpRequest built = request.build();
        Response r = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (attempt > 0) {
                long wait = r.retryAfterMillis >= 0 ? r.retryAfterMillis : BACKOFF.toMillis() << (attempt - 1);
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EndpointException(where(path) + ": interrupted");
                }
            }
            r = sendOnce(path, built);
            if (!BUSY.contains(r.status)) return r;
        }
        return new Response(r.where, r.status, r.json, r.text, r.retryAfterMillis, ATTEMPTS);
    }

    private Response sendOnce(String path, HttpRequest request) {
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new EndpointException(where(path) + ": no answer within " + seconds(timeout) + " (timeout)");
        } catch (ConnectException e) {
            throw new EndpointException(where(path) + ": connection refused" + (e.getMessage() == null
                    || e.getMessage().isBlank() || e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("refused") ? ""
                    : " (" + oneLine(e.getMessage()) + ")"));
        } catch (IOException e) {
            String m = e.getMessage();
            throw new EndpointException(where(path) + ": " + (m == null || m.isBlank() ? e.getClass().getSimpleName() : oneLine(m)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EndpointException(where(path) + ": interrupted");
        }
        JsonNode json = null;
        String text = response.body();
        try {
            json = text == null || text.isBlank() ? null : Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            if (response.statusCode() == 200) {
                throw new EndpointException(where(path) + ": malformed response: not JSON (" + Json.problem(e) + "; body starts '"
                        + shorten(text) + "')");
            }
        }
        long retryAfter = response.headers().firstValue("Retry-After").map(v -> {
            try {
                return Math.min(30_000L, Math.max(0L, (long) (Double.parseDouble(v.strip()) * 1000)));
            } catch (NumberFormatException e) {
                return -1L; // an HTTP date: use the backoff
            }
        }).orElse(-1L);
        return new Response(where(path), response.statusCode(), json, text == null ? "" : text, retryAfter, 1);
    }

    /**
     * One HTTP answer.
     *
     * @param retryAfterMillis the server's {@code Retry-After} (capped at 30 s), or -1
     * @param attempts how many times the request was sent
     */
    private record Response(String where, int status, JsonNode json, String text, long retryAfterMillis, int attempts) {
        /** The server's error message: OpenAI's {@code error.message} (vLLM's, too), else the body's start. */
        String message() {
            if (json != null) {
                JsonNode error = json.get("error");
                if (error != null && error.isObject() && error.path("message").isTextual()) return oneLine(error.get("message").asText());
                if (error != null && error.isTextual()) return oneLine(error.asText()); // llama.cpp, some proxies
                if (json.path("message").isTextual()) return oneLine(json.get("message").asText());
                if (json.path("detail").isTextual()) return oneLine(json.get("detail").asText());
            }
            return shorten(text);
        }

        /** A 400 or 422 naming one of {@code fields}: an argument the server does not take. */
        boolean refuses(List<String> fields) {
            return (status == 400 || status == 422) && fields.stream().anyMatch(text::contains);
        }

        boolean contextTooLong() {
            JsonNode code = json == null ? null : json.path("error").get("code");
            return code != null && "context_length_exceeded".equals(code.asText())
                    || message().toLowerCase(java.util.Locale.ROOT).matches("(?s).*(maximum context length|exceeds the available context size).*");
        }

        /** This answer when it is a 200 with a JSON object, else the one-line error. */
        Response ok() {
            if (status != 200) {
                String m = message();
                throw new EndpointException(where + ": HTTP " + status + (m.isEmpty() ? "" : ": " + m)
                        + (attempts > 1 ? " (" + attempts + " attempts)" : ""));
            }
            if (json == null || !json.isObject()) throw malformed("not a JSON object");
            return this;
        }

        JsonNode firstChoice() {
            JsonNode choices = json.get("choices");
            if (choices == null || !choices.isArray() || choices.isEmpty()) throw malformed("missing 'choices'");
            return choices.get(0);
        }

        EndpointException malformed(String what) {
            return new EndpointException(where + ": malformed response: " + what);
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
    }

    private static String shorten(String s) {
        String line = oneLine(s == null ? "" : s).strip();
        return line.length() <= 80 ? line : line.substring(0, 77) + "...";
    }

    private static String oneLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
