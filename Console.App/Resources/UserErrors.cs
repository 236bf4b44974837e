using System.Globalization;
using Microsoft.Extensions.Localization;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Inbox;
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
            WindowClosedException w => (w.Kind switch
            {
                ChannelKind.WhatsApp => "Error.window_closed.whatsapp",
                ChannelKind.Messenger or ChannelKind.Instagram => "Error.window_closed.human_agent",
                null => "Error.WindowClosed",
                _ => "Error.window_closed.other",
            }, []),
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
            var text = L[key, args.Select(Readable).ToArray()];
            return text.ResourceNotFound ? null : text.Value;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    // Values shown in a sentence read as people write them (09:00, not 09:00:00).
    private static object Readable(object? value) => value switch
    {
        null => "",
        TimeOnly t => t.ToString("HH:mm", CultureInfo.InvariantCulture),
        DayOfWeek d => CultureInfo.CurrentCulture.DateTimeFormat.GetDayName(d),
        _ => value,
    };
}
