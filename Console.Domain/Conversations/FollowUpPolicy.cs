using System.Globalization;
using System.Text;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Conversations;

/// <summary>
/// How a workspace follows up a customer who went quiet in a conversation the bot owns: the gaps of silence before each
/// attempt (their count is the maximum), the approved template used outside the customer window, and the words with
/// which a customer says "stop writing to me". One row per tenant; a tenant without a row has the defaults (off).
/// </summary>
public sealed class FollowUpPolicy : ITenantOwned
{
    public const int MaxAttempts = 10;
    public const int MaxGapMinutes = 60 * 24 * 60;
    public static readonly IReadOnlyList<int> DefaultAfterMinutes = [60, 1380, 4320];

    public static readonly IReadOnlyList<string> DefaultOptOutWords =
    [
        "stop", "baja", "darme de baja", "no me escribas", "no me escriban", "no me escriba", "no quiero mensajes",
        "cancelar suscripción", "unsubscribe", "stop messaging me", "don't text me", "do not contact me", "no more messages",
    ];

    private FollowUpPolicy() { }

    public Guid TenantId { get; private set; }
    public bool Enabled { get; private set; }
    public IReadOnlyList<int> AfterMinutes { get; private set; } = DefaultAfterMinutes;
    public string? TemplateName { get; private set; }
    public string? TemplateLanguage { get; private set; }
    public IReadOnlyList<string> OptOutWords { get; private set; } = DefaultOptOutWords;
    public DateTimeOffset UpdatedAt { get; private set; }

    public static FollowUpPolicy Default(Guid tenantId) => new() { TenantId = tenantId };

    public void Update(bool enabled, IReadOnlyList<int>? afterMinutes, string? templateName, string? templateLanguage,
        IReadOnlyList<string>? optOutWords, DateTimeOffset now)
    {
        var gaps = (afterMinutes ?? DefaultAfterMinutes).ToList();
        if (gaps.Count > MaxAttempts) throw new DomainException("follow_up.attempts", $"At most {MaxAttempts} follow-ups.", MaxAttempts);
        if (gaps.Any(g => g < 1 || g > MaxGapMinutes))
            throw new DomainException("follow_up.gap", "Each gap is between 1 minute and 60 days.");
        if (enabled && gaps.Count == 0) throw new DomainException("follow_up.no_attempts", "Add at least one follow-up time.");
        templateName = string.IsNullOrWhiteSpace(templateName) ? null : templateName.Trim();
        templateLanguage = string.IsNullOrWhiteSpace(templateLanguage) ? null : templateLanguage.Trim();
        if (templateName is { Length: > 512 } || templateLanguage is { Length: > 15 })
            throw new DomainException("follow_up.template", "That is not a template name and language.");
        var words = (optOutWords ?? DefaultOptOutWords).Select(w => w.Trim()).Where(w => w.Length > 0)
            .DistinctBy(OptOutWordsMatcher.Fold).ToList();
        if (words.Count > 50 || words.Any(w => w.Length > 60))
            throw new DomainException("follow_up.opt_out_words", "At most 50 opt-out words, each at most 60 characters.");
        Enabled = enabled;
        AfterMinutes = gaps;
        TemplateName = templateName;
        TemplateLanguage = templateName is null ? null : templateLanguage ?? "es";
        OptOutWords = words;
        UpdatedAt = now;
    }

    /// <summary>
    /// When attempt number <paramref name="attempt"/> (0-based) is due, counting its gap from <paramref name="silentSince"/>
    /// (the bot's last message or the previous attempt), moved to the next opening when it falls outside the business's
    /// hours; null once every attempt was made. The gap is elapsed time; the hours are wall-clock time in the tenant's
    /// zone, so a daylight-saving change moves neither.
    /// </summary>
    public DateTimeOffset? NextAttemptAt(int attempt, DateTimeOffset silentSince, BusinessHours hours, TimeZoneInfo zone)
    {
        if (!Enabled || attempt < 0 || attempt >= AfterMinutes.Count) return null;
        return FollowUpTimes.InsideHours(silentSince.AddMinutes(AfterMinutes[attempt]), hours, zone);
    }
}

public static class FollowUpTimes
{
    /// <summary>The instant itself when the business is open then, else its next opening (UTC).</summary>
    public static DateTimeOffset InsideHours(DateTimeOffset due, BusinessHours hours, TimeZoneInfo zone)
    {
        due = due.ToUniversalTime();
        var local = TimeZoneInfo.ConvertTime(due, zone).DateTime;
        if (hours.IsOpen(local) || hours.NextOpening(local) is not { } opens) return due;
        // An opening that falls in a spring-forward gap (00:00 in Santiago) does not exist: the clock shows it an hour later.
        while (zone.IsInvalidTime(opens)) opens = opens.AddMinutes(30);
        var offset = zone.IsAmbiguousTime(opens) ? zone.GetAmbiguousTimeOffsets(opens).Max() : zone.GetUtcOffset(opens);
        return new DateTimeOffset(DateTime.SpecifyKind(opens, DateTimeKind.Unspecified), offset).ToUniversalTime();
    }
}

/// <summary>
/// Whether a customer's message is an opt-out: the whole message is one of the words, or a phrase of several words
/// appears in it. Case, accents and punctuation do not matter ("¡Baja!", "NO ME ESCRIBAS más").
/// </summary>
public static class OptOutWordsMatcher
{
    public static bool Matches(string? message, IEnumerable<string> words)
    {
        if (string.IsNullOrWhiteSpace(message) || message.Length > 300) return false;
        var text = Fold(message);
        if (text.Length == 0) return false;
        foreach (var word in words)
        {
            var w = Fold(word);
            if (w.Length == 0) continue;
            if (text == w) return true;
            // One word ("baja", "stop") only on its own or nearly ("stop please"): "la presión baja" is not an opt-out.
            var wholeWords = $" {text} ".Contains($" {w} ", StringComparison.Ordinal);
            if (wholeWords && (w.Contains(' ') || text.Split(' ').Length <= 2)) return true;
        }
        return false;
    }

    /// <summary>Lower case, no accents, letters and digits only, single spaces.</summary>
    public static string Fold(string text)
    {
        var decomposed = text.ToLowerInvariant().Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        var space = false;
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category == UnicodeCategory.NonSpacingMark) continue;
            if (char.IsLetterOrDigit(c) || c == '\'')
            {
                if (space && sb.Length > 0) sb.Append(' ');
                space = false;
                if (c != '\'') sb.Append(c);
            }
            else space = true;
        }
        return sb.ToString();
    }
}
