using OperatorConsole.Domain.Channels;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

/// <summary>
/// Checks content against the channel's limits before any API call, so a broken limit is reported in words the
/// operator can act on ("reply buttons: at most 3, got 4") instead of Meta's generic "(#100) Invalid parameter".
/// The senders run it first; the UI may run it while composing.
/// </summary>
public static class OutboundValidator
{
    public const int WhatsAppTextMax = 4096;
    public const int WhatsAppCaptionMax = 1024;
    public const int WhatsAppButtonsMax = 3;
    public const int WhatsAppButtonTitleMax = 20;
    public const int WhatsAppButtonsBodyMax = 1024;
    // Meta's list-message page allows a longer body than reply buttons.
    public const int WhatsAppListBodyMax = 4096;
    public const int WhatsAppListRowsMax = 10;
    public const int WhatsAppListSectionsMax = 10;
    public const int WhatsAppRowTitleMax = 24;
    public const int WhatsAppRowDescriptionMax = 72;
    public const int WhatsAppListButtonMax = 20;
    public const int WhatsAppSectionTitleMax = 24;
    public const int WhatsAppButtonIdMax = 256;
    public const int WhatsAppRowIdMax = 200;
    public const int MessengerTextMax = 2000;
    // Provisional: TikTok does not publish the limit; 1000 is what operators report.
    public const int TikTokTextMax = 1000;

    private static readonly string[] MediaKinds = ["image", "video", "audio", "document"];

    public static IReadOnlyList<ValidationProblem> Validate(ChannelKind kind, OutboundContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var problems = new List<ValidationProblem>();
        var set = new List<string>();
        if (content.Text is not null) set.Add("text");
        if (content.Media is not null) set.Add("media");
        if (content.Template is not null) set.Add("template");
        if (content.Buttons is not null) set.Add("buttons");
        if (content.List is not null) set.Add("list");
        if (content.Link is not null) set.Add("link");
        if (set.Count != 1)
        {
            problems.Add(new("content", set.Count == 0
                ? "content: nothing to send, set one of text, media, template, buttons, list or link"
                : $"content: exactly one of text, media, template, buttons, list or link, got {set.Count} ({string.Join(", ", set)})"));
            return problems;
        }

        if (kind == ChannelKind.WhatsApp) ValidateWhatsApp(content, problems);
        else ValidateTextChannel(kind, content, problems);
        return problems;
    }

    /// <summary>"Not sent: reply buttons: at most 3, got 4; button 2 title: at most 20 characters, got 27".</summary>
    public static SendFailure AsFailure(IReadOnlyList<ValidationProblem> problems) =>
        new(SendFailureKind.Permanent, "validation", "Not sent: " + string.Join("; ", problems.Select(p => p.Message)));

    /// <summary>
    /// Counts Unicode characters (code points), not UTF-16 units, so "¿Sí? 👍" is 6 and an emoji does not eat two
    /// places of a 20-character button title.
    /// </summary>
    public static int Length(string? text) => text is null ? 0 : text.EnumerateRunes().Count();

    private static void ValidateWhatsApp(OutboundContent content, List<ValidationProblem> problems)
    {
        if (content.Text is { } text) CheckText("text", "text", text, WhatsAppTextMax, problems);
        else if (content.Media is { } media) CheckWhatsAppMedia(media, problems);
        else if (content.Template is { } template) CheckTemplate(template, problems);
        else if (content.Buttons is { } buttons) CheckWhatsAppButtons(buttons, problems);
        else if (content.List is { } list) CheckWhatsAppList(list, problems);
        else if (content.Link is { } link)
        {
            CheckText("link.body", "link body", link.Body, WhatsAppButtonsBodyMax, problems);
            CheckText("link.label", "link button label", link.Label, WhatsAppButtonTitleMax, problems);
            CheckLinkUrl(link, problems);
        }
    }

    private static void CheckLinkUrl(LinkContent link, List<ValidationProblem> problems)
    {
        if (!(Uri.TryCreate(link.Url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps))
            problems.Add(new("link.url", $"link url: must be an absolute https URL, got '{link.Url}'"));
    }

    private static void CheckWhatsAppMedia(MediaContent media, List<ValidationProblem> problems)
    {
        CheckMediaSource(media, problems);
        if (!string.IsNullOrEmpty(media.Caption))
        {
            if (string.Equals(media.Kind, "audio", StringComparison.OrdinalIgnoreCase))
                problems.Add(new("media.caption", "media caption: audio cannot carry a caption"));
            else
                CheckMax("media.caption", "media caption", media.Caption, WhatsAppCaptionMax, problems);
        }
    }

    private static void CheckMediaSource(MediaContent media, List<ValidationProblem> problems)
    {
        if (!MediaKinds.Contains(media.Kind, StringComparer.OrdinalIgnoreCase))
            problems.Add(new("media.kind", $"media kind: must be image, video, audio or document, got '{media.Kind}'"));
        var hasLink = !string.IsNullOrWhiteSpace(media.Link);
        var hasId = !string.IsNullOrWhiteSpace(media.MediaId);
        if (!hasLink && !hasId)
            problems.Add(new("media", "media: needs a link or a media id"));
        else if (hasLink && hasId)
            problems.Add(new("media", "media: set a link or a media id, not both"));
        else if (hasLink && !(Uri.TryCreate(media.Link, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
            problems.Add(new("media.link", $"media link: must be an absolute http(s) URL, got '{media.Link}'"));
    }

    private static void CheckTemplate(TemplateContent template, List<ValidationProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(template.Name)) problems.Add(new("template.name", "template name: required"));
        if (string.IsNullOrWhiteSpace(template.Language)) problems.Add(new("template.language", "template language: required"));
        // Meta refuses an empty parameter with a generic error that does not say which one.
        for (var i = 0; i < template.BodyParameters.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(template.BodyParameters[i]))
                problems.Add(new($"template.bodyParameters[{i}]", $"template parameter {i + 1}: must not be empty"));
        }
    }

    private static void CheckWhatsAppButtons(ButtonsContent content, List<ValidationProblem> problems)
    {
        CheckText("buttons.body", "buttons body", content.Body, WhatsAppButtonsBodyMax, problems);
        var count = content.Buttons.Count;
        if (count == 0) problems.Add(new("buttons.buttons", "reply buttons: at least 1, got 0"));
        if (count > WhatsAppButtonsMax) problems.Add(new("buttons.buttons", $"reply buttons: at most {WhatsAppButtonsMax}, got {count}"));
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var titles = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var button = content.Buttons[i];
            var n = i + 1;
            CheckText($"buttons.buttons[{i}].title", $"button {n} title", button.Title, WhatsAppButtonTitleMax, problems);
            CheckText($"buttons.buttons[{i}].id", $"button {n} id", button.Id, WhatsAppButtonIdMax, problems);
            // The customer's reply carries only the id (and title): duplicates would make two buttons one answer.
            CheckUnique(ids, button.Id, n, $"buttons.buttons[{i}].id", $"button {n} id", "button", problems);
            CheckUnique(titles, button.Title, n, $"buttons.buttons[{i}].title", $"button {n} title", "button", problems);
        }
    }

    private static void CheckWhatsAppList(ListContent list, List<ValidationProblem> problems)
    {
        CheckText("list.body", "list body", list.Body, WhatsAppListBodyMax, problems);
        CheckText("list.buttonLabel", "list button label", list.ButtonLabel, WhatsAppListButtonMax, problems);
        var sections = list.Sections.Count;
        if (sections > WhatsAppListSectionsMax)
            problems.Add(new("list.sections", $"list sections: at most {WhatsAppListSectionsMax}, got {sections}"));
        var rows = list.Sections.Sum(s => s.Rows.Count);
        if (rows == 0) problems.Add(new("list.sections", "list rows: at least 1, got 0"));
        if (rows > WhatsAppListRowsMax) problems.Add(new("list.sections", $"list rows: at most {WhatsAppListRowsMax} in total, got {rows}"));

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var n = 0;
        for (var s = 0; s < sections; s++)
        {
            var section = list.Sections[s];
            if (!string.IsNullOrEmpty(section.Title))
                CheckMax($"list.sections[{s}].title", $"section {s + 1} title", section.Title, WhatsAppSectionTitleMax, problems);
            else if (sections > 1)
                // Meta requires a title on every section once there are two or more.
                problems.Add(new($"list.sections[{s}].title", $"section {s + 1} title: required when the list has more than one section"));

            // Rows are numbered across the whole list, as the customer sees them.
            for (var r = 0; r < section.Rows.Count; r++)
            {
                var row = section.Rows[r];
                n++;
                var field = $"list.sections[{s}].rows[{r}]";
                CheckText(field + ".title", $"row {n} title", row.Title, WhatsAppRowTitleMax, problems);
                CheckMax(field + ".description", $"row {n} description", row.Description, WhatsAppRowDescriptionMax, problems);
                CheckText(field + ".id", $"row {n} id", row.Id, WhatsAppRowIdMax, problems);
                CheckUnique(ids, row.Id, n, field + ".id", $"row {n} id", "row", problems);
            }
        }
    }

    /// <summary>Messenger, Instagram and TikTok: text with a length limit; buttons and lists become numbered text.</summary>
    private static void ValidateTextChannel(ChannelKind kind, OutboundContent content, List<ValidationProblem> problems)
    {
        var max = kind == ChannelKind.TikTok ? TikTokTextMax : MessengerTextMax;
        var channel = kind.ToString();
        if (content.Text is { } text)
        {
            CheckText("text", "text", text, max, problems);
        }
        else if (content.Template is not null)
        {
            problems.Add(new("template", $"template: templates are WhatsApp-only, {channel} cannot send one"));
        }
        else if (content.Media is { } media)
        {
            if (kind == ChannelKind.TikTok)
            {
                problems.Add(new("media", "media: TikTok business messages can only be text"));
                return;
            }
            CheckMediaSource(media, problems);
            // The Send API's attachment has no caption field; dropping it silently would lose what the agent wrote.
            if (!string.IsNullOrEmpty(media.Caption))
                problems.Add(new("media.caption", $"media caption: {channel} attachments carry no caption, send the caption as its own text"));
        }
        else if (content.Buttons is { } buttons)
        {
            CheckText("buttons.body", "buttons body", buttons.Body, max, problems);
            if (buttons.Buttons.Count == 0) problems.Add(new("buttons.buttons", "reply buttons: at least 1, got 0"));
            for (var i = 0; i < buttons.Buttons.Count; i++)
                CheckNotEmpty($"buttons.buttons[{i}].title", $"button {i + 1} title", buttons.Buttons[i].Title, problems);
            if (problems.Count == 0) CheckRendered(NumberedText.Render(buttons), "buttons", max, problems);
        }
        else if (content.List is { } list)
        {
            CheckText("list.body", "list body", list.Body, max, problems);
            var rows = list.Sections.SelectMany(s => s.Rows).ToList();
            if (rows.Count == 0) problems.Add(new("list.sections", "list rows: at least 1, got 0"));
            for (var i = 0; i < rows.Count; i++) CheckNotEmpty($"list.rows[{i}].title", $"row {i + 1} title", rows[i].Title, problems);
            if (problems.Count == 0) CheckRendered(NumberedText.Render(list), "list", max, problems);
        }
        else if (content.Link is { } link)
        {
            CheckText("link.body", "link body", link.Body, max, problems);
            CheckNotEmpty("link.label", "link button label", link.Label, problems);
            CheckLinkUrl(link, problems);
            if (problems.Count == 0) CheckRendered(NumberedText.Render(link), "link", max, problems);
        }
    }

    private static void CheckRendered(string rendered, string what, int max, List<ValidationProblem> problems)
    {
        var length = Length(rendered);
        if (length > max)
            problems.Add(new("text", $"text: at most {max} characters, got {length} ({what} rendered as numbered text)"));
    }

    private static void CheckText(string field, string label, string? value, int max, List<ValidationProblem> problems)
    {
        if (CheckNotEmpty(field, label, value, problems)) CheckMax(field, label, value, max, problems);
    }

    private static bool CheckNotEmpty(string field, string label, string? value, List<ValidationProblem> problems)
    {
        if (!string.IsNullOrWhiteSpace(value)) return true;
        problems.Add(new(field, $"{label}: must not be empty"));
        return false;
    }

    private static void CheckMax(string field, string label, string? value, int max, List<ValidationProblem> problems)
    {
        var length = Length(value);
        if (length > max) problems.Add(new(field, $"{label}: at most {max} characters, got {length}"));
    }

    private static void CheckUnique(Dictionary<string, int> seen, string? value, int n, string field, string label, string noun,
        List<ValidationProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(value)) return;
        if (seen.TryGetValue(value, out var first))
            problems.Add(new(field, $"{label}: must be unique, same as {noun} {first} ('{value}')"));
        else
            seen[value] = n;
    }
}
