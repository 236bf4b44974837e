using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Channels;

public enum ChannelKind { WhatsApp, Messenger, Instagram, TikTok }

/// <summary>Active and Error channels receive; Disabled (by the owner, reversible) and Disconnected channels neither receive nor send.</summary>
public enum ChannelStatus { Active, Error, Disconnected, Disabled }

/// <summary>
/// A connected WhatsApp number, Facebook page, Instagram account or TikTok business.
/// Credentials are held only as ciphertext produced by the infrastructure's protector.
/// </summary>
public sealed class Channel : ITenantOwned
{
    private Channel() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public ChannelKind Kind { get; private set; }

    /// <summary>phone_number_id (WhatsApp), page id (Messenger), IG account id (Instagram), business id (TikTok).</summary>
    public string ExternalId { get; private set; } = "";

    /// <summary>WABA id or other parent account id, when the channel has one.</summary>
    public string? AccountId { get; private set; }
    public string DisplayName { get; private set; } = "";
    public string ProtectedAccessToken { get; private set; } = "";
    public string? ProtectedAppSecret { get; private set; }
    public string? ProtectedVerifyToken { get; private set; }
    public bool BotEnabled { get; private set; }
    public ChannelStatus Status { get; private set; }
    public string? StatusReason { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static Channel Connect(Guid tenantId, ChannelKind kind, string externalId, string? accountId, string? displayName,
        ProtectedCredentials credentials, DateTimeOffset now)
    {
        externalId = externalId?.Trim() ?? "";
        if (externalId.Length is 0 or > 64 || !externalId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new DomainException("channel.externalId", "The external id is required: letters, digits, '-', '_' or '.', at most 64 characters.");
        if (string.IsNullOrEmpty(credentials.AccessToken))
            throw new DomainException("channel.accessToken", "An access token is required.");
        return new Channel
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Kind = kind,
            ExternalId = externalId,
            AccountId = string.IsNullOrWhiteSpace(accountId) ? null : accountId.Trim(),
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? $"{kind} {externalId}" : displayName.Trim(),
            ProtectedAccessToken = credentials.AccessToken,
            ProtectedAppSecret = credentials.AppSecret,
            ProtectedVerifyToken = credentials.VerifyToken,
            BotEnabled = true,
            Status = ChannelStatus.Active,
            CreatedAt = now,
        };
    }

    public void SetBotEnabled(bool enabled) => BotEnabled = enabled;

    /// <summary>Receives customers' messages and may send: not disabled or disconnected (an Error channel still receives).</summary>
    public bool IsLive => Status is ChannelStatus.Active or ChannelStatus.Error;

    public void Rename(string displayName)
    {
        displayName = displayName?.Trim() ?? "";
        if (displayName.Length is 0 or > 120)
            throw new DomainException("channel.displayName", "The channel's name is required, at most 120 characters.");
        DisplayName = displayName;
    }

    /// <summary>The owner pauses the channel: its webhooks wait as unroutable and nothing is sent until it is enabled.</summary>
    public void Disable()
    {
        if (Status == ChannelStatus.Disconnected)
            throw new DomainException("channel.disconnected", "This channel is disconnected: connect it again instead.");
        Status = ChannelStatus.Disabled;
    }

    /// <summary>Back to receiving and sending; a channel that was in error before it was disabled is still in error.</summary>
    public void Enable()
    {
        if (Status != ChannelStatus.Disabled) return;
        Status = StatusReason is null ? ChannelStatus.Active : ChannelStatus.Error;
    }

    /// <summary>
    /// The owner disconnects the channel: it stops receiving and sending for good, its conversations stay (read-only),
    /// and the id is freed (a tombstone takes its place in the unique index) so the account can be connected again,
    /// here or elsewhere. Webhooks for the old id are then unroutable like those of any unknown account.
    /// </summary>
    public string Disconnect()
    {
        if (Status == ChannelStatus.Disconnected)
            throw new DomainException("channel.disconnected", "This channel is disconnected: connect it again instead.");
        var formerId = ExternalId;
        ExternalId = $"disconnected.{Id:N}";
        Status = ChannelStatus.Disconnected;
        StatusReason = null;
        BotEnabled = false;
        return formerId;
    }

    public void ReplaceCredentials(ProtectedCredentials credentials)
    {
        if (Status == ChannelStatus.Disconnected)
            throw new DomainException("channel.disconnected", "This channel is disconnected: connect it again instead.");
        ProtectedAccessToken = credentials.AccessToken;
        ProtectedAppSecret = credentials.AppSecret ?? ProtectedAppSecret;
        ProtectedVerifyToken = credentials.VerifyToken ?? ProtectedVerifyToken;
        MarkHealthy();
    }

    /// <summary>e.g. Graph error 190 (token expired): sends stop until the owner reconnects.</summary>
    public void MarkError(string reason)
    {
        Status = ChannelStatus.Error;
        StatusReason = reason;
    }

    /// <summary>
    /// The platform frees a disputed id: the channel keeps its history but no longer holds the id (a tombstone takes
    /// its place in the unique index), so the business that proves ownership can connect it.
    /// </summary>
    public void ReleaseDisputed(DateTimeOffset now)
    {
        ExternalId = $"released.{Id:N}";
        Status = ChannelStatus.Disconnected;
        StatusReason = $"Released by the platform on {now:yyyy-MM-dd}: ownership disputed.";
        BotEnabled = false;
    }

    public void MarkHealthy()
    {
        if (Status == ChannelStatus.Error) Status = ChannelStatus.Active;
        StatusReason = null;
    }
}

/// <summary>Already-encrypted credential values (ciphertext), never plain secrets.</summary>
public sealed record ProtectedCredentials(string AccessToken, string? AppSecret, string? VerifyToken);

/// <summary>Which members work which channels. A member with no rows works every channel.</summary>
public sealed class ChannelAccess : ITenantOwned
{
    private ChannelAccess() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid ChannelId { get; private set; }
    public Guid MemberId { get; private set; }

    public static ChannelAccess Grant(Guid tenantId, Guid channelId, Guid memberId) => new()
    {
        Id = Guid.NewGuid(),
        TenantId = tenantId,
        ChannelId = channelId,
        MemberId = memberId,
    };
}
