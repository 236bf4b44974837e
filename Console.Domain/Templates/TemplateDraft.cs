using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Templates;

public enum TemplateButtonKind { QuickReply, Url }

public sealed record TemplateButton(TemplateButtonKind Kind, string Text, string? Url = null);

/// <summary>
/// A template the business writes and submits for Meta's review. <see cref="Validate"/> refuses locally what Meta would
/// refuse (or silently reject later), so the owner learns it in seconds with a clear reason instead of days later.
/// </summary>
public sealed record TemplateDraft(string? Name, string? Language, TemplateCategory Category, string? HeaderText, string? Body,
    IReadOnlyList<string>? BodySamples, string? Footer, IReadOnlyList<TemplateButton>? Buttons)
{
    public const int MaxBody = 1024;
    public const int MaxHeader = 60;
    public const int MaxFooter = 60;
    public const int MaxButtons = 3;
    public const int MaxButtonText = 25;

    private static readonly Regex NamePattern = new("^[a-z0-9_]{1,512}$", RegexOptions.CultureInvariant);
    private static readonly Regex LanguagePattern = new("^[a-z]{2,3}(_[A-Z]{2})?$", RegexOptions.CultureInvariant);

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || !NamePattern.IsMatch(Name))
            throw new DomainException("template.name", "The name uses only lowercase letters, digits and underscores (e.g. appointment_reminder).");
        if (string.IsNullOrWhiteSpace(Language) || !LanguagePattern.IsMatch(Language))
            throw new DomainException("template.language", "Choose the template's language (e.g. es_MX).");
        if (string.IsNullOrWhiteSpace(Body))
            throw new DomainException("template.body_required", "The body is required.");
        if (Body.Length > MaxBody)
            throw new DomainException("template.body_too_long", $"The body has {Body.Length} characters; at most {MaxBody}.", Body.Length, MaxBody);
        if (HeaderText is { Length: > MaxHeader })
            throw new DomainException("template.header_too_long", $"The header has at most {MaxHeader} characters.", MaxHeader);
        if (HeaderText is not null && TemplateText.Variables(HeaderText).Count > 0)
            throw new DomainException("template.header_variables", "The header cannot have variables here; put them in the body.");
        if (Footer is { Length: > MaxFooter })
            throw new DomainException("template.footer_too_long", $"The footer has at most {MaxFooter} characters.", MaxFooter);
        var variables = TemplateText.Variables(Body);
        // Meta numbers variables {{1}}, {{2}}… in order of first appearance, with no gaps.
        for (var i = 0; i < variables.Count; i++)
        {
            if (variables[i] != i + 1)
                throw new DomainException("template.variables_order", "Number the variables {{1}}, {{2}}, {{3}}… in order, without gaps.");
        }
        var samples = BodySamples ?? [];
        if (variables.Count > 0 && (samples.Count < variables.Count || samples.Take(variables.Count).Any(string.IsNullOrWhiteSpace)))
            throw new DomainException("template.samples_required", $"Give a sample value for each of the {variables.Count} variables: Meta reviews the template with them.",
                variables.Count);
        var buttons = Buttons ?? [];
        if (buttons.Count > MaxButtons)
            throw new DomainException("template.too_many_buttons", $"At most {MaxButtons} buttons.", MaxButtons);
        foreach (var b in buttons)
        {
            if (string.IsNullOrWhiteSpace(b.Text) || b.Text.Length > MaxButtonText)
                throw new DomainException("template.button_text", $"Each button needs a text of at most {MaxButtonText} characters.", MaxButtonText);
            if (b.Kind == TemplateButtonKind.Url && !(Uri.TryCreate(b.Url, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps))
                throw new DomainException("template.button_url", "A link button needs an https:// address.");
        }
    }

    /// <summary>Meta's components array for POST /{waba-id}/message_templates.</summary>
    public JsonArray Components()
    {
        var components = new JsonArray();
        if (!string.IsNullOrWhiteSpace(HeaderText))
            components.Add(new JsonObject { ["type"] = "HEADER", ["format"] = "TEXT", ["text"] = HeaderText.Trim() });
        var body = new JsonObject { ["type"] = "BODY", ["text"] = Body!.Trim() };
        var count = TemplateText.Variables(Body).Count;
        if (count > 0)
            body["example"] = new JsonObject { ["body_text"] = new JsonArray(new JsonArray(BodySamples!.Take(count).Select(s => (JsonNode?)s.Trim()).ToArray())) };
        components.Add(body);
        if (!string.IsNullOrWhiteSpace(Footer)) components.Add(new JsonObject { ["type"] = "FOOTER", ["text"] = Footer.Trim() });
        if (Buttons is { Count: > 0 })
        {
            var buttons = new JsonArray();
            foreach (var b in Buttons)
            {
                buttons.Add(b.Kind == TemplateButtonKind.Url
                    ? new JsonObject { ["type"] = "URL", ["text"] = b.Text.Trim(), ["url"] = b.Url!.Trim() }
                    : new JsonObject { ["type"] = "QUICK_REPLY", ["text"] = b.Text.Trim() });
            }
            components.Add(new JsonObject { ["type"] = "BUTTONS", ["buttons"] = buttons });
        }
        return components;
    }
}

/// <summary>What a template looks like, read from Meta's components: for previews and the parameter form.</summary>
public sealed record TemplateShape(string? Header, string Body, string? Footer, IReadOnlyList<TemplateButton> Buttons, IReadOnlyList<string> BodySamples)
{
    /// <summary>How many body parameters a send needs ({{1}}…{{n}}).</summary>
    public int ParameterCount => TemplateText.Variables(Body).DefaultIfEmpty(0).Max();

    public static TemplateShape Parse(string componentsJson)
    {
        string? header = null, footer = null;
        var body = "";
        var buttons = new List<TemplateButton>();
        var samples = new List<string>();
        JsonNode? root;
        try { root = JsonNode.Parse(componentsJson); }
        catch (System.Text.Json.JsonException) { root = null; }
        foreach (var c in (root as JsonArray ?? []).OfType<JsonObject>())
        {
            var type = Str(c["type"])?.ToUpperInvariant();
            switch (type)
            {
                case "HEADER" when Str(c["format"]) is null or "TEXT":
                    header = Str(c["text"]);
                    break;
                case "BODY":
                    body = Str(c["text"]) ?? "";
                    if (c["example"]?["body_text"] is JsonArray { Count: > 0 } rows && rows[0] is JsonArray first)
                        samples.AddRange(first.Select(s => Str(s) ?? ""));
                    break;
                case "FOOTER":
                    footer = Str(c["text"]);
                    break;
                case "BUTTONS":
                    foreach (var b in (c["buttons"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        var kind = Str(b["type"])?.ToUpperInvariant() == "URL" ? TemplateButtonKind.Url : TemplateButtonKind.QuickReply;
                        buttons.Add(new TemplateButton(kind, Str(b["text"]) ?? "", Str(b["url"])));
                    }
                    break;
            }
        }
        return new TemplateShape(header, body, footer, buttons, samples);
    }

    /// <summary>The body with {{n}} replaced by the given values (blank ones by the sample, else left as {{n}}).</summary>
    public string Fill(string text, IReadOnlyList<string?> values) => TemplateText.Fill(text, values, BodySamples);

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

public static partial class TemplateText
{
    [GeneratedRegex(@"\{\{\s*(\d+)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Variable();

    /// <summary>Variable numbers in order of first appearance, each once.</summary>
    public static IReadOnlyList<int> Variables(string text) =>
        Variable().Matches(text).Select(m => int.TryParse(m.Groups[1].Value, out var n) ? n : 0).Distinct().ToList();

    public static string Fill(string text, IReadOnlyList<string?> values, IReadOnlyList<string>? samples = null) =>
        Variable().Replace(text, m =>
        {
            var i = int.TryParse(m.Groups[1].Value, out var n) ? n - 1 : -1;
            if (i >= 0 && i < values.Count && !string.IsNullOrWhiteSpace(values[i])) return values[i]!;
            if (samples is not null && i >= 0 && i < samples.Count && !string.IsNullOrWhiteSpace(samples[i])) return samples[i];
            return m.Value;
        });
}
