using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Payments;

/// <summary>What the console shows of a tenant's payment settings: never the keys themselves.</summary>
public sealed record PaymentSettingsView(bool StripeConnected, string? StripeAccountId, string? StripeAccountName, DateTimeOffset? StripeConnectedAt,
    string? BankInstructions, bool AllowCustomAmount, decimal MaxCustomAmount);

/// <summary>A key Stripe refused; <see cref="Exception.Message"/> is Stripe's own words.</summary>
public sealed class StripeKeyRejectedException(string stripeMessage) : Exception(stripeMessage);

/// <summary>Connecting a tenant's Stripe account (checked with Stripe first, stored encrypted) and its manual-payment details.</summary>
public sealed class PaymentSetup(ContextScopes scopes, StripeGateway stripe, SecretProtector secrets, TimeProvider clock)
{
    public async Task<PaymentSettingsView> GetAsync(Guid tenantId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var s = await work.Db.PaymentSettings.AsNoTracking().SingleOrDefaultAsync(ct);
        return s is null
            ? new PaymentSettingsView(false, null, null, null, null, false, 0)
            : new PaymentSettingsView(s.StripeConnected, s.StripeAccountId, s.StripeAccountName, s.StripeConnectedAt, s.BankInstructions,
                s.AllowCustomAmount, s.MaxCustomAmount);
    }

    /// <summary>Stores the keys only after Stripe accepted the secret key (GET /v1/account); throws <see cref="StripeKeyRejectedException"/> otherwise.</summary>
    public async Task<PaymentSettingsView> ConnectStripeAsync(Guid tenantId, string? secretKey, string? webhookSecret, CancellationToken ct)
    {
        secretKey = secretKey?.Trim() ?? "";
        webhookSecret = webhookSecret?.Trim() ?? "";
        if (secretKey.Length is 0 or > 255) throw new DomainException("payment.stripe_key_missing", "Enter the Stripe secret key (sk_… or rk_…).");
        if (!webhookSecret.StartsWith("whsec_", StringComparison.Ordinal) || webhookSecret.Length > 255)
            throw new DomainException("payment.stripe_webhook_secret", "Enter the webhook signing secret (whsec_…).");
        var check = await stripe.CheckAccountAsync(secretKey, ct);
        if (!check.Ok) throw new StripeKeyRejectedException(check.Error ?? "The key was refused.");
        await using var work = scopes.ForTenant(tenantId);
        var settings = await LoadOrAddAsync(work, tenantId, ct);
        settings.ConnectStripe(secrets.Protect(secretKey), secrets.Protect(webhookSecret), check.AccountId!, check.AccountName, clock.GetUtcNow());
        await work.Db.SaveChangesAsync(ct);
        return await GetAsync(tenantId, ct);
    }

    public async Task DisconnectStripeAsync(Guid tenantId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var settings = await work.Db.PaymentSettings.SingleOrDefaultAsync(ct);
        if (settings is null) return;
        settings.DisconnectStripe(clock.GetUtcNow());
        await work.Db.SaveChangesAsync(ct);
    }

    public async Task SetManualAsync(Guid tenantId, string? bankInstructions, bool allowCustomAmount, decimal maxCustomAmount, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var settings = await LoadOrAddAsync(work, tenantId, ct);
        settings.SetManual(bankInstructions, allowCustomAmount, maxCustomAmount, clock.GetUtcNow());
        await work.Db.SaveChangesAsync(ct);
    }

    private async Task<PaymentSettings> LoadOrAddAsync(WorkScope work, Guid tenantId, CancellationToken ct)
    {
        var settings = await work.Db.PaymentSettings.SingleOrDefaultAsync(ct);
        if (settings is not null) return settings;
        settings = PaymentSettings.Create(tenantId, clock.GetUtcNow());
        work.Db.PaymentSettings.Add(settings);
        return settings;
    }
}
