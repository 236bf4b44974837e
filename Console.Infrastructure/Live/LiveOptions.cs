using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Live;

/// <summary>Live updates across nodes, presence and assignment. Keys: Live:*.</summary>
public sealed class LiveOptions
{
    /// <summary>Relay changes to other nodes with PostgreSQL LISTEN/NOTIFY. Off only for a single node that wants no listener.</summary>
    public bool CrossNode { get; set; } = true;

    /// <summary>The NOTIFY channel every node listens on (one per database, so one per deployment).</summary>
    [Required, MaxLength(63)] public string NotifyChannel { get; set; } = "console_changes";

    /// <summary>How often a node renews the presence of the members connected to it.</summary>
    [Range(1, 3600)] public int HeartbeatSeconds { get; set; } = 15;

    /// <summary>A member not seen by any node for this long counts as offline (a node died without cleaning up).</summary>
    [Range(1, 86400)] public int PresenceTimeoutSeconds { get; set; } = 45;

    public TimeSpan Heartbeat => TimeSpan.FromSeconds(Math.Max(1, HeartbeatSeconds));
    public TimeSpan PresenceTimeout => TimeSpan.FromSeconds(Math.Max(HeartbeatSeconds * 2, PresenceTimeoutSeconds));
}

/// <summary>This process's identity among the nodes sharing the database (tells a node its own NOTIFY echoes apart).</summary>
public sealed class LiveNode
{
    public Guid Id { get; } = Guid.NewGuid();
}
