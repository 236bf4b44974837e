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

    /// <summary>How often a node re-announces the conversations its members have open (who is viewing what).</summary>
    [Range(1, 300)] public int ViewingRenewSeconds { get; set; } = 10;

    /// <summary>How long "is typing" shows after the last key (typing signals are sent at most every half of this).</summary>
    [Range(2, 60)] public int TypingSeconds { get; set; } = 6;

    public TimeSpan ViewingRenewal => TimeSpan.FromSeconds(ViewingRenewSeconds);
    // Three missed renewals: a node died or lost its connection without saying the screen closed.
    public TimeSpan ViewingTimeout => TimeSpan.FromSeconds(ViewingRenewSeconds * 3);
    public TimeSpan Typing => TimeSpan.FromSeconds(TypingSeconds);

    public TimeSpan Heartbeat => TimeSpan.FromSeconds(Math.Max(1, HeartbeatSeconds));
    public TimeSpan PresenceTimeout => TimeSpan.FromSeconds(Math.Max(HeartbeatSeconds * 2, PresenceTimeoutSeconds));
}

/// <summary>This process's identity among the nodes sharing the database (tells a node its own NOTIFY echoes apart).</summary>
public sealed class LiveNode
{
    public Guid Id { get; } = Guid.NewGuid();
}
