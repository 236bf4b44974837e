using System.Globalization;
using Microsoft.Extensions.Localization;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.App.Resources;

/// <summary>
/// Turns a refused request into a sentence in the reader's language, for pages and API problem details alike. The
/// domain and infrastructure say what went wrong with a code (and the values the sentence needs); the sentence for
/// each code is the resource <c>Error.{code}</c>. Their English message is for logs only.
/// </summary>
public static class UserErrors
{
    public static bool IsExpected(Exception ex) =>
        ex is DomainException or ConflictException or WindowClosedException or InboxForbiddenException;

    public static string Describe(Exception ex, IStringLocalizer<SharedResource> L)
    {
        var (key, args) = ex switch
        {
            ConflictException { Code: ConversationCommands.ConflictCode } => ("Error.Conflict", []),
            ConflictException c => ($"Error.{c.Code}", c.Args),
            WindowClosedException w => (TextRefs.WindowClosedKey(w.Kind), []),
            InboxForbiddenException => ("Error.Forbidden", []),
            DomainException d => ($"Error.{d.Code}", d.Args),
            _ => ("Shell.Error", (IReadOnlyList<object?>)[]),
        };
        return Format(L, key, args) ?? ex.Message;
    }

    /// <summary>
    /// The sentence <paramref name="key"/> with its values, or null when there is none (or it does not fit the values):
    /// a rule without its own translation still says what happened, in the words of the rule.
    /// </summary>
    public static string? Format(IStringLocalizer<SharedResource> L, string key, IReadOnlyList<object?> args)
    {
        try
        {
            var text = L[key, args.Select(a => Readable(a, L)).ToArray()];
            return text.ResourceNotFound ? null : text.Value;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// A sentence stored earlier as a key and values (a timeline entry, a platform event), in the reader's language; a
    /// value that names a key is translated too. Rows from before keys were stored, or keys this version does not know,
    /// show their stored wording.
    /// </summary>
    public static string Stored(IStringLocalizer<SharedResource> L, string? key, IReadOnlyList<string> args, string fallback)
    {
        if (key is null) return fallback;
        var values = args.Select(a => a.StartsWith(TextRef.KeyPrefix, StringComparison.Ordinal)
            ? Format(L, a[TextRef.KeyPrefix.Length..], []) ?? a[TextRef.KeyPrefix.Length..]
            : (object?)a).ToArray();
        return Format(L, key, values) ?? fallback;
    }

    // Values shown in a sentence read as people write them (09:00, not 09:00:00).
    private static object Readable(object? value, IStringLocalizer<SharedResource> L) => value switch
    {
        null => "",
        // What a plan includes or bounds reads in the reader's words.
        Domain.Billing.PlanFeature or Infrastructure.Billing.PlanLimitKind => L[$"{value.GetType().Name}.{value}"].Value,
        TimeOnly t => t.ToString("HH:mm", CultureInfo.InvariantCulture),
        DayOfWeek d => CultureInfo.CurrentCulture.DateTimeFormat.GetDayName(d),
        _ => value,
    };
}
