using System.Text.RegularExpressions;
using Microsoft.Extensions.Localization;
using OperatorConsole.App.Resources;

namespace OperatorConsole.App.Components.Pages.Inbox;

/// <summary>
/// Lead changes are stored as the agent wrote them ("stage New → Qualified, e-mail ana@x.mx"), old rows included, so
/// the timeline words each known part in the operator's language and keeps what it does not know (a custom field) as is.
/// </summary>
public static partial class EventTexts
{
    public static string LeadChange(string? text, IStringLocalizer<SharedResource> L)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var body = text.StartsWith(AgentPrefix, StringComparison.Ordinal) ? text[AgentPrefix.Length..] : text;
        var parts = PartSeparator().Split(body).Select(part =>
        {
            if (StagePart().Match(part) is { Success: true } stage)
                return L["LeadChange.Stage", StageName(stage.Groups[1].Value, L), StageName(stage.Groups[2].Value, L)].Value;
            foreach (var (word, key) in Words)
                if (part.StartsWith(word + " ", StringComparison.Ordinal)) return L[key, part[(word.Length + 1)..]].Value;
            return part;
        });
        return string.Join(", ", parts);
    }

    private const string AgentPrefix = "Lead updated by the agent: ";

    private static readonly (string Word, string Key)[] Words = [("name", "LeadChange.Name"), ("e-mail", "LeadChange.Email"), ("company", "LeadChange.Company")];

    // Rows written before stages were the tenant's own carry the old fixed names (New, Proposal…).
    private static string StageName(string stage, IStringLocalizer<SharedResource> L) =>
        L[$"Stage.{stage}"] is { ResourceNotFound: false } known ? known.Value : stage;

    [GeneratedRegex(@"^stage (\w+) → (\w+)$")]
    private static partial Regex StagePart();

    [GeneratedRegex(@"(?:, |; )")]
    private static partial Regex PartSeparator();
}
