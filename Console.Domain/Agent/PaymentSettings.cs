using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// How a tenant collects money: its own Stripe account (keys stored encrypted, never shown again) and the bank details
/// a customer sees when paying by transfer. One row per tenant.
/// </summary>
public sealed class PaymentSettings : ITenantOwned
{
    public const decimal MaxCustomAmountLimit = 1_000_000m;

    private PaymentSettings() { }

    public Guid TenantId { get; private set; }

    /// <summary>Data Protection ciphertexts; the plain keys exist only in memory for the call that needs them.</summary>
    public string? ProtectedStripeSecretKey { get; private set; }
    public string? ProtectedStripeWebhookSecret { get; private set; }

    /// <summary>What Stripe's GET /v1/account said when the key was checked (shown instead of the key).</summary>
    public string? StripeAccountId { get; private set; }
    public string? StripeAccountName { get; private set; }
    public DateTimeOffset? StripeConnectedAt { get; private set; }

    /// <summary>Transfer details shown on /pay/{id} for manual payments (bank, account, holder…).</summary>
    public string? BankInstructions { get; private set; }

    /// <summary>The agent may charge an amount the customer and it agree on (a deposit, a quote) up to this maximum.</summary>
    public bool AllowCustomAmount { get; private set; }
    public decimal MaxCustomAmount { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public bool StripeConnected => ProtectedStripeSecretKey is not null && ProtectedStripeWebhookSecret is not null;

    public static PaymentSettings Create(Guid tenantId, DateTimeOffset now) => new() { TenantId = tenantId, UpdatedAt = now };

    public void ConnectStripe(string protectedSecretKey, string protectedWebhookSecret, string accountId, string? accountName, DateTimeOffset now)
    {
        ProtectedStripeSecretKey = protectedSecretKey;
        ProtectedStripeWebhookSecret = protectedWebhookSecret;
        StripeAccountId = accountId;
        StripeAccountName = string.IsNullOrWhiteSpace(accountName) ? null : accountName.Trim();
        StripeConnectedAt = now;
        UpdatedAt = now;
    }

    public void DisconnectStripe(DateTimeOffset now)
    {
        ProtectedStripeSecretKey = ProtectedStripeWebhookSecret = StripeAccountId = StripeAccountName = null;
        StripeConnectedAt = null;
        UpdatedAt = now;
    }

    public void SetManual(string? bankInstructions, bool allowCustomAmount, decimal maxCustomAmount, DateTimeOffset now)
    {
        bankInstructions = string.IsNullOrWhiteSpace(bankInstructions) ? null : bankInstructions.Trim();
        if (bankInstructions is { Length: > 1000 }) throw new DomainException("payment.bank_instructions", "The bank details are at most 1000 characters.");
        if (allowCustomAmount && (maxCustomAmount <= 0 || maxCustomAmount > MaxCustomAmountLimit))
            throw new DomainException("payment.max_custom_amount", "Set a maximum custom amount (positive, at most 1,000,000).");
        BankInstructions = bankInstructions;
        AllowCustomAmount = allowCustomAmount;
        MaxCustomAmount = allowCustomAmount ? decimal.Round(maxCustomAmount, 2) : 0;
        UpdatedAt = now;
    }
}

/// <summary>A Stripe event already applied: the unique (tenant, event id) makes a redelivery a no-op.</summary>
public sealed class StripeEventReceipt : ITenantOwned
{
    private StripeEventReceipt() { }

    public Guid TenantId { get; private set; }
    public string EventId { get; private set; } = "";
    public string Type { get; private set; } = "";
    public DateTimeOffset ReceivedAt { get; private set; }
}
