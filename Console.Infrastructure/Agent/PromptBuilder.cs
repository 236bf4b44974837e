using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Agent.Knowledge;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>What the prompt knows about the customer (a snapshot; the turn never edits the contact through it).</summary>
public sealed record LeadSnapshot(string? Name, string? Phone, string? Email, string? Company, string Stage, int Score,
    string Temperature, IReadOnlyDictionary<string, string> Fields, string? Summary)
{
    /// <summary>The tenant's pipeline stage names in order: what update_lead's stage may be.</summary>
    public IReadOnlyList<string> PipelineStages { get; init; } = [];
}

/// <summary>
/// Renders the tenant's system prompt: <c>{{variables}}</c> filled in the tenant's time zone, then the tone, the
/// customer's known fields, the retrieved knowledge and the house rules that keep the bot to the business's truth.
/// </summary>
public static partial class PromptBuilder
{
    /// <summary>The variables an owner can put in the prompt (the editor offers these; <c>field.&lt;name&gt;</c> reads a lead field).</summary>
    public static IReadOnlyList<string> Variables { get; } =
        ["business_name", "contact_name", "now", "business_hours", "is_open", "contact_phone", "contact_email", "contact_company", "lead_stage", "lead_score"];

    public static string RenderVariables(string template, AgentProfile profile, string businessName, LeadSnapshot lead, DateTimeOffset now) =>
        RenderVariables(template, profile.TimeZone, profile.BusinessHours, businessName, lead, now);

    /// <summary>
    /// The one renderer of prompt variables: the turn (through the profile) and the editor's preview (an unsaved draft's
    /// zone and hours) both call it, so the preview shows exactly what the model will read.
    /// </summary>
    public static string RenderVariables(string template, string timeZone, BusinessHours hours, string businessName, LeadSnapshot lead,
        DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById(timeZone)).DateTime;
        var culture = CultureInfo.GetCultureInfo("es-MX");
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["now"] = local.ToString("dddd d 'de' MMMM 'de' yyyy, HH:mm", culture) + $" ({timeZone})",
            ["business_name"] = businessName,
            ["contact_name"] = lead.Name ?? "",
            ["business_hours"] = hours.Describe(culture),
            ["is_open"] = hours.IsOpen(local) ? "abierto" : "cerrado",
            ["contact_phone"] = lead.Phone ?? "",
            ["contact_email"] = lead.Email ?? "",
            ["contact_company"] = lead.Company ?? "",
            ["lead_stage"] = lead.Stage,
            ["lead_score"] = lead.Score.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in lead.Fields) values[$"field.{key}"] = value;
        // Unknown variables render empty rather than leaking "{{x}}" to the model.
        return Variable().Replace(template, m => values.TryGetValue(m.Groups[1].Value.Trim(), out var v) ? v : "");
    }

    public static string Build(AgentProfile profile, string businessName, LeadSnapshot lead, IReadOnlyList<KnowledgePassage> passages,
        DateTimeOffset now, IReadOnlyList<AgentFileSummary>? files = null)
    {
        var sb = new StringBuilder();
        sb.AppendLine(RenderVariables(profile.SystemPrompt, profile, businessName, lead, now));
        if (profile.Tone is { } tone) sb.AppendLine().Append("Tone: ").AppendLine(tone);

        var local = profile.LocalTime(now);
        sb.AppendLine().AppendLine("## Context");
        sb.Append("- Current time at the business: ").AppendLine(local.ToString("yyyy-MM-dd HH:mm (dddd)", CultureInfo.InvariantCulture) + $", {profile.TimeZone}");
        sb.Append("- Business hours: ").AppendLine(profile.BusinessHours.Describe(CultureInfo.InvariantCulture));
        sb.Append("- The business is now ").AppendLine(profile.BusinessHours.IsOpen(local) ? "open." : "closed.");

        sb.AppendLine().AppendLine("## The customer");
        if (lead.Name is { } name) sb.Append("- Name: ").AppendLine(name);
        if (lead.Email is { } email) sb.Append("- E-mail: ").AppendLine(email);
        if (lead.Company is { } company) sb.Append("- Company: ").AppendLine(company);
        sb.Append("- Lead stage: ").Append(lead.Stage).Append(", score ").Append(lead.Score).Append(" (").Append(lead.Temperature).AppendLine(")");
        if (lead.PipelineStages.Count > 0) sb.Append("- Pipeline stages (for update_lead): ").AppendLine(string.Join(", ", lead.PipelineStages));
        foreach (var (key, value) in lead.Fields) sb.Append("- ").Append(key).Append(": ").AppendLine(value);
        if (lead.Summary is { } summary) sb.Append("- Summary of earlier conversation: ").AppendLine(summary);

        if (passages.Count > 0)
        {
            sb.AppendLine().AppendLine("## Business knowledge (the only source of facts about the business)");
            for (var i = 0; i < passages.Count; i++)
                sb.Append('[').Append(i + 1).Append("] ").Append(passages[i].Title).Append(": ").AppendLine(passages[i].Text.Trim());
        }

        if (files is { Count: > 0 })
        {
            sb.AppendLine().AppendLine("## Files you can send with send_file (by name)");
            foreach (var f in files)
            {
                sb.Append("- ").Append(f.Name);
                if (f.Description is { } d) sb.Append(": ").Append(d.Trim());
                if (f.TriggerWords.Count > 0) sb.Append(" (when the customer mentions: ").Append(string.Join(", ", f.TriggerWords)).Append(')');
                sb.AppendLine();
            }
        }

        sb.AppendLine().AppendLine("## Rules");
        sb.AppendLine("- Answer in the customer's language, briefly, as in a chat.");
        sb.AppendLine("- State facts about the business (prices, services, hours, policies) only from the knowledge above or a tool result; " +
                      "use search_knowledge when you need more. If you do not know, say so and offer a person.");
        sb.AppendLine("- Use the tools for actions (availability, bookings, payment links, files, options, lead updates). Never claim an action you did not take.");
        sb.AppendLine("- A customer line starting with [Voice note, transcribed] or [Image, described] is what they sent as audio or a picture; " +
                      "when a line says you cannot open what they sent, ask them kindly to write it instead.");
        sb.AppendLine("- Call escalate_to_human when the customer asks for a person, is upset, or needs something you cannot do.");
        if (profile.LeadFields.Count > 0)
            sb.Append("- Record with update_lead what the customer tells you about: ").AppendLine(string.Join(", ", profile.LeadFields) + ", name, e-mail, company.");
        return sb.ToString();
    }

    [GeneratedRegex(@"\{\{\s*([a-zA-Z0-9_.\-]+)\s*\}\}")]
    private static partial Regex Variable();
}
