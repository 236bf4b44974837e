using Microsoft.Extensions.Localization;
using OperatorConsole.App.Resources;

namespace OperatorConsole.App.Components.Pages.Inbox;

/// <summary>Turns a refused operator action into a sentence in the operator's language (the rule's code picks it).</summary>
public static class InboxErrors
{
    public static bool IsExpected(Exception ex) => UserErrors.IsExpected(ex);

    public static string Describe(Exception ex, IStringLocalizer<SharedResource> L) => UserErrors.Describe(ex, L);
}
