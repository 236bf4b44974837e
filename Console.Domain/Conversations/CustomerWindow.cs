using OperatorConsole.Domain.Channels;

namespace OperatorConsole.Domain.Conversations;

/// <summary>How free text may go to the customer right now (templates are always allowed on WhatsApp).</summary>
public enum CustomerWindowState
{
    /// <summary>Inside the channel's window: anyone (bot or person) may write.</summary>
    Open,

    /// <summary>Messenger/Instagram after the window: only a person may write, tagged HUMAN_AGENT.</summary>
    HumanAgentTagOnly,

    Closed,
}

/// <summary>
/// The customer window, the one place its rules live (channels.md §3): after a customer's message the business may
/// write freely for 24 h; 72 h when the message came through a click-to-WhatsApp ad; 48 h on TikTok. Messenger and
/// Instagram additionally let a person (never the bot) answer up to 7 days after the customer's last message with
/// the HUMAN_AGENT tag. Intake stores the expiry on the conversation; outbound validation, the composer and the API
/// all ask this policy about it.
/// </summary>
public static class CustomerWindow
{
    public static readonly TimeSpan Standard = TimeSpan.FromHours(24);
    public static readonly TimeSpan AdReferral = TimeSpan.FromHours(72);
    public static readonly TimeSpan TikTok = TimeSpan.FromHours(48);
    public static readonly TimeSpan HumanAgentTag = TimeSpan.FromDays(7);

    /// <summary>How long the business may answer freely after a customer's message on this channel.</summary>
    public static TimeSpan For(ChannelKind kind, bool fromAdReferral) => kind switch
    {
        ChannelKind.WhatsApp when fromAdReferral => AdReferral,
        ChannelKind.TikTok => TikTok,
        _ => Standard,
    };

    /// <summary>Open while the stored expiry lies strictly in the future (at the expiry instant it is closed).</summary>
    public static bool IsOpen(DateTimeOffset? expiresAt, DateTimeOffset now) => expiresAt is { } e && e > now;

    /// <summary>
    /// Where free text stands now, for a person (<paramref name="byPerson"/>) or the bot. The HUMAN_AGENT period is
    /// counted from the customer's last message, recovered from the expiry minus the channel's plain window (only
    /// Messenger and Instagram have it, and neither has ad windows, so the subtraction is exact).
    /// </summary>
    public static CustomerWindowState Evaluate(ChannelKind kind, DateTimeOffset? expiresAt, bool byPerson, DateTimeOffset now)
    {
        if (IsOpen(expiresAt, now)) return CustomerWindowState.Open;
        return byPerson && kind is ChannelKind.Messenger or ChannelKind.Instagram
            && expiresAt is { } e && now - (e - For(kind, fromAdReferral: false)) < HumanAgentTag
            ? CustomerWindowState.HumanAgentTagOnly
            : CustomerWindowState.Closed;
    }
}
