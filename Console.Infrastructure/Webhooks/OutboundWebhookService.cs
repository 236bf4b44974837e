using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Webhooks;

public sealed record WebhookRow(Guid Id, string Url, IReadOnlyList<string> Events, bool Active, DateTimeOffset CreatedAt);

public sealed record WebhookDeliveryRow(Guid Id, Guid EventId, string Type, OutboundDeliveryStatus Status, int Attempts, int? ResponseStatus,
    string? Response, DateTimeOffset? LastAttemptAt, DateTimeOffset CreatedAt);

/// <summary>The secret exists in clear only in this answer: it is stored protected and never shown again.</summary>
public sealed record CreatedWebhook(Guid Id, string Secret);

/// <summary>
/// A tenant's outbound webhook subscriptions and their delivery logs, for the API and the console alike. Every change
/// reloads <see cref="OutboundWebhookSubscriptions"/>, so the next event already sees it on this node.
/// </summary>
public sealed class OutboundWebhookService(ContextScopes scopes, SecretProtector protector, GuardedNetwork network,
    OutboundWebhookSubscriptions subscriptions, OutboundWebhookSignal signal, IOptions<OutboundWebhookOptions> options, TimeProvider clock)
{
    public const int MinSecretLength = 16;

    public async Task<IReadOnlyList<WebhookRow>> ListAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.OutboundWebhooks.AsNoTracking().OrderBy(w => w.CreatedAt)
            .Select(w => new WebhookRow(w.Id, w.Url, w.Events, w.Active, w.CreatedAt)).ToListAsync(ct);
    }

    public async Task<CreatedWebhook> CreateAsync(Guid tenantId, string? url, IEnumerable<string>? events, string? secret, CancellationToken ct = default)
    {
        await using (var gate = scopes.ForTenant(tenantId))
            await Billing.PlanGates.RequireFeatureAsync(gate.Db, tenantId, PlanFeature.OutboundWebhooks, ct);
        var target = await CheckUrlAsync(url, ct);
        secret = string.IsNullOrWhiteSpace(secret) ? "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) : secret.Trim();
        if (secret.Length < MinSecretLength) throw new DomainException("webhook.secret_short", $"The secret needs at least {MinSecretLength} characters.", MinSecretLength);
        var webhook = OutboundWebhook.Create(tenantId, target, events ?? [], protector.Protect(secret), clock.GetUtcNow());
        await using (var work = scopes.ForTenant(tenantId))
        {
            work.Db.OutboundWebhooks.Add(webhook);
            await work.Db.SaveChangesAsync(ct);
        }
        await subscriptions.ReloadAsync(ct);
        return new CreatedWebhook(webhook.Id, secret);
    }

    public async Task<bool> SetActiveAsync(Guid tenantId, Guid id, bool active, CancellationToken ct = default)
    {
        await using (var work = scopes.ForTenant(tenantId))
        {
            var webhook = await work.Db.OutboundWebhooks.SingleOrDefaultAsync(w => w.Id == id, ct);
            if (webhook is null) return false;
            // A downgrade keeps the subscriptions; resuming one needs the plan.
            if (active && !webhook.Active) await Billing.PlanGates.RequireFeatureAsync(work.Db, tenantId, PlanFeature.OutboundWebhooks, ct);
            if (active) webhook.Activate();
            else webhook.Pause();
            await work.Db.SaveChangesAsync(ct);
        }
        await subscriptions.ReloadAsync(ct);
        if (active) signal.Notify(); // what waited while it was paused goes now
        return true;
    }

    public async Task<bool> DeleteAsync(Guid tenantId, Guid id, CancellationToken ct = default)
    {
        bool deleted;
        await using (var work = scopes.ForTenant(tenantId))
            deleted = await work.Db.OutboundWebhooks.Where(w => w.Id == id).ExecuteDeleteAsync(ct) > 0;
        await subscriptions.ReloadAsync(ct);
        return deleted;
    }

    /// <summary>The subscription's latest deliveries, newest first; null when the tenant has no such subscription.</summary>
    public async Task<IReadOnlyList<WebhookDeliveryRow>?> DeliveriesAsync(Guid tenantId, Guid webhookId, int take = 50, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        if (!await work.Db.OutboundWebhooks.AnyAsync(w => w.Id == webhookId, ct)) return null;
        return await work.Db.OutboundWebhookDeliveries.AsNoTracking().Where(d => d.WebhookId == webhookId)
            .OrderByDescending(d => d.CreatedAt).Take(Math.Clamp(take, 1, 500))
            .Select(d => new WebhookDeliveryRow(d.Id, d.EventId, d.EventType, d.Status, d.Attempts, d.ResponseStatus, d.Response, d.LastAttemptAt, d.CreatedAt))
            .ToListAsync(ct);
    }

    /// <summary>Sends a delivery again (same event id and body); false when the tenant has no such delivery.</summary>
    public async Task<bool> ReplayAsync(Guid tenantId, Guid webhookId, Guid deliveryId, CancellationToken ct = default)
    {
        await using (var work = scopes.ForTenant(tenantId))
        {
            var delivery = await work.Db.OutboundWebhookDeliveries.SingleOrDefaultAsync(d => d.Id == deliveryId && d.WebhookId == webhookId, ct);
            if (delivery is null) return false;
            delivery.Replay(clock.GetUtcNow(), TimeSpan.FromHours(options.Value.RetryForHours));
            await work.Db.SaveChangesAsync(ct);
        }
        signal.Notify();
        return true;
    }

    /// <summary>
    /// An absolute https URL whose host resolves to public addresses (the custom tools' policy). Plain http is accepted
    /// only for a destination the platform allowlists as private (Network:PrivateAllowlist: on-premise, tests).
    /// The workers check again at every connect, so a name that later resolves elsewhere is still refused.
    /// </summary>
    private async Task<Uri> CheckUrlAsync(string? url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var target) || (target.Scheme != Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(target.UserInfo))
            throw new DomainException("webhook.url_invalid", "Give an absolute https:// URL.");
        IReadOnlyList<System.Net.IPAddress> addresses;
        try
        {
            addresses = await NetworkPolicy.AllowedAddressesAsync(target.IdnHost, target.Port, network.Allowlist, ct: ct);
        }
        catch (BlockedDestinationException)
        {
            throw new DomainException("webhook.url_blocked", "That address is private, loopback or link-local: webhooks go to public addresses only.");
        }
        catch (System.Net.Sockets.SocketException)
        {
            throw new DomainException("webhook.url_unresolved", "That host name does not resolve.");
        }
        if (target.Scheme == Uri.UriSchemeHttp && !addresses.All(NetworkPolicy.IsPrivate))
            throw new DomainException("webhook.url_https", "Use https:// so events travel encrypted.");
        return target;
    }
}
