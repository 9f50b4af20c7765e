package dev.align.core.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.align.core.BadInputException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template, rendered with a real Jinja engine (Jinjava) the way transformers'
 * {@code apply_chat_template} does: {@code trim_blocks} and {@code lstrip_blocks} on, with {@code
 * messages}, {@code add_generation_prompt}, the special tokens and {@code raise_exception} in scope.
 */
public final class ChatTemplate {
    /** ChatML, for models that ship no template. */
    public static final String BUILT_IN = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** One turn of a conversation. */
    public record Message(String role, String content) {}

    private static final Jinjava JINJA = newEngine();
    private final String template;
    private final Map<String, Object> specialTokens;

    public ChatTemplate(String template, Map<String, Object> specialTokens) {
        this.template = template;
        this.specialTokens = specialTokens;
    }

    public String source() {
        return template;
    }

    /** Renders a conversation; with {@code addGenerationPrompt} it ends where the assistant's reply starts. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            msgs.add(map);
        }
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.put("messages", msgs);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = JINJA.renderForResult(template, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                    if (t instanceof BadInputException raised) throw raised; // raise_exception('...')
                }
                throw new BadInputException("chat template: " + error.getMessage());
            }
        }
        return result.getOutput();
    }

    /** Called from templates as {@code raise_exception('...')}. */
    public static String raiseException(String message) {
        throw new BadInputException("chat template: " + message);
    }

    private static Jinjava newEngine() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        return jinjava;
    }
}
