using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>The AI agent's turns. Keys: Agent:*.</summary>
public sealed class AgentOptions
{
    /// <summary>
    /// Turns running at once per node (0: this node runs none, another node does). A turn spends nearly all its time
    /// waiting for the model (seconds), holding no database connection meanwhile, so this is about how many customers
    /// are answered in parallel, not about cores.
    /// </summary>
    [Range(0, 4096)] public int Workers { get; set; } = 32;

    /// <summary>How long a claimed turn belongs to its runner; after that (a crashed node) any node may run it again.</summary>
    [Range(1, 86400)] public int LeaseSeconds { get; set; } = 180;

    /// <summary>A turn whose runner keeps dying is handed to a human after this many claims.</summary>
    [Range(1, 100)] public int MaxTurnAttempts { get; set; } = 3;

    [Range(1, int.MaxValue)] public int RateLimitPerMinute { get; set; } = 20;
    [Range(1, int.MaxValue)] public int RateLimitPerHour { get; set; } = 100;
    [Range(1, int.MaxValue)] public int HistoryTokens { get; set; } = 3000;

    /// <summary>
    /// How long a turn waits for a customer's voice note or image to be fetched and understood (transcribed, described)
    /// before it answers without it (the agent then asks for text).
    /// </summary>
    [Range(0, 600)] public int MediaWaitSeconds { get; set; } = 30;

    /// <summary>How often an idle node looks for due turns.</summary>
    [Range(1, 60000)] public int PollMilliseconds { get; set; } = 250;

    /// <summary>The older name of Network:PrivateAllowlist, still honoured (the two lists are joined).</summary>
    public List<string> ToolAllowlist { get; set; } = [];
}

/// <summary>A due turn this runner holds.</summary>
public sealed record TurnClaim(Guid ConversationId, Guid TenantId, DateTimeOffset DueAt, Guid LeaseId, int Attempts);
