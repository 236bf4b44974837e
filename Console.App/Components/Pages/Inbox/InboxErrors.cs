using Microsoft.Extensions.Localization;
using OperatorConsole.App.Resources;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.App.Components.Pages.Inbox;

/// <summary>Turns a refused operator action into a sentence in the operator's language (the rule's code picks it).</summary>
public static class InboxErrors
{
    public static bool IsExpected(Exception ex) =>
        ex is DomainException or ConflictException or WindowClosedException or InboxForbiddenException;

    public static string Describe(Exception ex, IStringLocalizer<SharedResource> L)
    {
        var key = ex switch
        {
            ConflictException { Code: ConversationCommands.ConflictCode } => "Error.Conflict",
            ConflictException c => $"Error.{c.Code}",
            WindowClosedException => "Error.WindowClosed",
            InboxForbiddenException => "Error.Forbidden",
            DomainException d => $"Error.{d.Code}",
            _ => "Shell.Error",
        };
        var text = L[key];
        // A rule without its own translation still says what happened, in the words of the rule.
        return text.ResourceNotFound ? ex.Message : text.Value;
    }
}
