package dev.align.datasets.constitution;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;
public record PreferenceExample(List<Message> prompt, String a, String b, String answer) {}
