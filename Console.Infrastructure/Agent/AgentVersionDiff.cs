using System.Globalization;
using DiffPlex;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using OperatorConsole.Domain.Agent;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>One setting that differs between two versions, with both values as the owner reads them.</summary>
public sealed record SettingChange(string Field, string Before, string After);

public enum PromptLineKind { Same, Removed, Added }

public sealed record PromptLine(PromptLineKind Kind, string Text);

/// <summary>
/// What changed between two agent versions: the prompt as a line diff, every other setting as a field whose value differs.
/// Field names are the API's (camelCase), so the REST client and the editor's labels share them.
/// </summary>
public static class AgentVersionDiff
{
    /// <summary>The settings that differ (the prompt too, as one field), in the editor's order.</summary>
    public static List<SettingChange> Fields(AgentSettings a, AgentSettings b, CultureInfo culture) =>
        Values(a, culture).Zip(Values(b, culture), (x, y) => (x.Field, Before: x.Value, After: y.Value))
            .Where(f => f.Before != f.After).Select(f => new SettingChange(f.Field, f.Before, f.After)).ToList();

    public static List<PromptLine> Prompt(string before, string after)
    {
        var model = new InlineDiffBuilder(new Differ()).BuildDiffModel(before, after, ignoreWhitespace: false);
        return model.Lines.Where(l => l.Type != ChangeType.Imaginary).Select(l => new PromptLine(l.Type switch
        {
            ChangeType.Deleted => PromptLineKind.Removed,
            ChangeType.Inserted => PromptLineKind.Added,
            _ => PromptLineKind.Same,
        }, l.Text ?? "")).ToList();
    }

    private static IEnumerable<(string Field, string Value)> Values(AgentSettings s, CultureInfo culture)
    {
        static string List(IEnumerable<string> items) => string.Join(", ", items);
        yield return ("systemPrompt", s.SystemPrompt);
        yield return ("tone", s.Tone ?? "");
        yield return ("model", s.Model ?? "");
        yield return ("temperature", s.Temperature.ToString("0.##", culture));
        yield return ("maxTokens", s.MaxTokens.ToString(culture));
        yield return ("bufferSeconds", s.BufferSeconds.ToString(culture));
        yield return ("timeZone", s.TimeZone);
        yield return ("businessHours", s.BusinessHours.Describe(culture));
        yield return ("outOfHours", s.OutOfHours.ToString());
        yield return ("escalationKeywords", List(s.EscalationKeywords));
        yield return ("autoEscalateAfterMessages", s.AutoEscalateAfterMessages?.ToString(culture) ?? "");
        yield return ("highValueScore", s.HighValueScore?.ToString(culture) ?? "");
        yield return ("fewShotExamples", string.Join("\n", s.FewShotExamples.Select(e => $"{e.Customer} → {e.Agent}")));
        yield return ("leadFields", List(s.LeadFields));
        yield return ("scoringWeights", List(s.ScoringWeights.Signals().Select(w => $"{w.Signal} {w.Weight:+0;-0;0}")));
        yield return ("appointmentMinutes", s.AppointmentMinutes.ToString(culture));
        yield return ("handoffNotifyNumber", s.HandoffNotifyNumber ?? "");
    }
}
