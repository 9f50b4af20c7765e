package dev.align.datasets.constitution;
import java.util.List;
public record Principle(String id, String critique, String revision, String preference,
        List<CritiqueExample> examples, List<PreferenceExample> preferenceExamples) {}
