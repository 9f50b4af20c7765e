package dev.align.datasets.constitution;
import dev.align.core.tokenizer.ChatTemplate.Message;
import java.util.List;
public record CritiqueExample(List<Message> prompt, String response, String critique, String revision) {}
