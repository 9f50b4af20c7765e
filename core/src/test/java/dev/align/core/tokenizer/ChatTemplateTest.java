package dev.align.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align.core.BadInputException;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    static final List<Message> CHAT = List.of(
            new Message("system", "Be honest."), new Message("user", "Is 7 prime?"), new Message("assistant", "Yes."),
            new Message("user", "Are you sure?"));

    @Test
    void builtInTemplateIsChatMl() {
        ChatTemplate t = new ChatTemplate(ChatTemplate.BUILT_IN, Map.of());
        assertEquals("<|im_start|>system\nBe honest.<|im_end|>\n<|im_start|>user\nIs 7 prime?<|im_end|>\n"
                + "<|im_start|>assistant\nYes.<|im_end|>\n<|im_start|>user\nAre you sure?<|im_end|>\n"
                + "<|im_start|>assistant\n", t.render(CHAT, true));
    }

    /** SmolLM2-Instruct's template: loop.first, a default system prompt, escaped newlines. */
    @Test
    void smolLmTemplateRendersAsTransformersDoes() {
        String smol = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                + "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}"
                + "{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
                + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        ChatTemplate t = new ChatTemplate(smol, Map.of());
        assertEquals("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                + "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                t.render(List.of(new Message("user", "hi")), true));
    }

    /** Llama-2-chat's template: slicing, set, loop.index0, bos/eos tokens, .strip(), raise_exception. */
    @Test
    void llama2ChatTemplateRendersAndRaises() {
        String llama2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
                + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
                + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
                + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                + "{% if loop.index0 == 0 and system_message != false %}"
                + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
                + "{% else %}{% set content = message['content'] %}{% endif %}"
                + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
                + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
        ChatTemplate t = new ChatTemplate(llama2, Map.of("bos_token", "<s>", "eos_token", "</s>"));
        assertEquals("<s>[INST] <<SYS>>\nBe honest.\n<</SYS>>\n\nIs 7 prime? [/INST] Yes. </s><s>[INST] Are you sure? [/INST]",
                t.render(CHAT, false));
        BadInputException e = assertThrows(BadInputException.class,
                () -> t.render(List.of(new Message("assistant", "hi")), false));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }
}
