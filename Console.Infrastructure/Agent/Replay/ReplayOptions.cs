using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Agent.Replay;

/// <summary>The "Replay" section: the background replay evaluation of the draft against past conversations.</summary>
public sealed class ReplayOptions
{
    public const string Section = "Replay";

    /// <summary>How often an idle node looks for a queued run (a run started on this node wakes it at once).</summary>
    [Range(1, 300)]
    public int PollSeconds { get; set; } = 5;

    /// <summary>How long a node holds a run between turns; a node that stopped mid-run loses it after this and another resumes.</summary>
    [Range(2, 3600)]
    public int LeaseSeconds { get; set; } = 120;

    [Range(1, 200)]
    public int MaxConversations { get; set; } = 50;

    /// <summary>Customer turns replayed per conversation (its first ones): a long conversation should not eat the whole run.</summary>
    [Range(1, 200)]
    public int MaxTurnsPerConversation { get; set; } = 20;
}
