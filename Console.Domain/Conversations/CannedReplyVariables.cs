using System.Text.RegularExpressions;

namespace OperatorConsole.Domain.Conversations;

/// <summary>
/// The variables a quick reply may hold, filled when an agent inserts it in the composer: the one implementation, so
/// the editor offers exactly the names the composer fills. An unknown name stays as written (the agent sees it before
/// sending); a known one with no value (a contact without a name) becomes empty.
/// </summary>
public static partial class CannedReplyVariables
{
    public const string ContactName = "contact_name";
    public const string ContactFirstName = "contact_first_name";
    public const string ContactPhone = "contact_phone";
    public const string BusinessName = "business_name";
    public const string AgentName = "agent_name";

    public static readonly IReadOnlyList<string> Names = [ContactName, ContactFirstName, ContactPhone, BusinessName, AgentName];

    public static string Fill(string text, string? contactName, string? contactPhone, string? businessName, string? agentName) =>
        Placeholder().Replace(text, m => m.Groups[1].Value.ToLowerInvariant() switch
        {
            ContactName => contactName?.Trim() ?? "",
            ContactFirstName => contactName?.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "",
            ContactPhone => contactPhone ?? "",
            BusinessName => businessName ?? "",
            AgentName => agentName ?? "",
            _ => m.Value,
        });

    [GeneratedRegex(@"\{\{\s*([a-zA-Z_]+)\s*\}\}")]
    private static partial Regex Placeholder();
}
