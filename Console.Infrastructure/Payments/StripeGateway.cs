using System.Globalization;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Options;
using Stripe;
using PaymentLink = OperatorConsole.Domain.Agent.PaymentLink;
using Stripe.Checkout;

namespace OperatorConsole.Infrastructure.Payments;

/// <summary>A Stripe event whose signature is valid but whose body is not an event we can read (answered 400, nothing changed).</summary>
public sealed class StripeEventFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What Stripe answered about a key: the account it belongs to, or Stripe's own refusal.</summary>
public sealed record StripeAccountCheck(bool Ok, string? AccountId, string? AccountName, string? Error);

/// <summary>
/// Every call to a tenant's Stripe account, through Stripe.net with the tenant's own secret key (never the platform's).
/// <c>Stripe:ApiBase</c> points all of them elsewhere (tests use a local fake).
/// </summary>
public sealed class StripeGateway(IOptionsMonitor<StripeOptions> options)
{
    public const string DefaultApiBase = "https://api.stripe.com";

    // Currencies Stripe counts in whole units (amount 500 CLP is "500", not "50000"): Chile and Paraguay matter here.
    private static readonly HashSet<string> ZeroDecimal = new(StringComparer.OrdinalIgnoreCase)
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    };

    private StripeClient Client(string secretKey)
    {
        var apiBase = options.CurrentValue.ApiBase;
        return new StripeClient(secretKey, apiBase: string.IsNullOrWhiteSpace(apiBase) ? DefaultApiBase : apiBase.TrimEnd('/'));
    }

    public static long ToMinorUnits(decimal amount, string currency) =>
        (long)decimal.Round(ZeroDecimal.Contains(currency) ? amount : amount * 100m, 0, MidpointRounding.AwayFromZero);

    public static decimal FromMinorUnits(long amount, string currency) => ZeroDecimal.Contains(currency) ? amount : amount / 100m;

    /// <summary>GET /v1/account with the key: proves the key works and names the account it belongs to.</summary>
    public async Task<StripeAccountCheck> CheckAccountAsync(string secretKey, CancellationToken ct)
    {
        try
        {
            var account = await new AccountService(Client(secretKey)).GetSelfAsync(cancellationToken: ct);
            var name = account.BusinessProfile?.Name ?? account.Settings?.Dashboard?.DisplayName ?? account.Email;
            return new StripeAccountCheck(true, account.Id, name, null);
        }
        catch (StripeException ex)
        {
            return new StripeAccountCheck(false, null, null, ex.StripeError?.Message ?? ex.Message);
        }
        catch (HttpRequestException ex)
        {
            return new StripeAccountCheck(false, null, null, ex.Message);
        }
    }

    /// <summary>
    /// A Checkout Session for the payment, priced from our record (never from what the model said). The metadata names
    /// our payment, tenant, contact and conversation on the session and on its PaymentIntent, so either kind of event
    /// finds the payment it is about.
    /// </summary>
    public async Task<(string SessionId, string Url)> CreateCheckoutAsync(string secretKey, PaymentLink payment, string? imageUrl, string publicBaseUrl,
        CancellationToken ct)
    {
        var metadata = new Dictionary<string, string>
        {
            ["payment_id"] = payment.Id.ToString(),
            ["tenant_id"] = payment.TenantId.ToString(),
            ["contact_id"] = payment.ContactId.ToString(),
            ["conversation_id"] = payment.ConversationId?.ToString() ?? "",
        };
        var unit = payment.Amount / payment.Quantity;
        var page = $"{publicBaseUrl.TrimEnd('/')}/pay/{payment.Id}";
        var session = await new SessionService(Client(secretKey)).CreateAsync(new SessionCreateOptions
        {
            Mode = "payment",
            ClientReferenceId = payment.Id.ToString(),
            SuccessUrl = page + "?result=success",
            CancelUrl = page + "?result=cancel",
            Metadata = metadata,
            PaymentIntentData = new SessionPaymentIntentDataOptions { Metadata = metadata },
            LineItems =
            [
                new SessionLineItemOptions
                {
                    Quantity = payment.Quantity,
                    PriceData = new SessionLineItemPriceDataOptions
                    {
                        Currency = payment.Currency.ToLowerInvariant(),
                        UnitAmount = ToMinorUnits(unit, payment.Currency),
                        ProductData = new SessionLineItemPriceDataProductDataOptions
                        {
                            Name = payment.Description,
                            Images = imageUrl is null ? null : [imageUrl],
                        },
                    },
                },
            ],
        }, new RequestOptions { IdempotencyKey = "checkout-" + payment.Id.ToString("N") }, ct);
        return (session.Id, session.Url);
    }

    /// <summary>
    /// The event, if <paramref name="signatureHeader"/> is a valid signature of <paramref name="json"/> with the tenant's
    /// secret (300 s tolerance); null otherwise. Events of another API version are accepted: we read few fields.
    /// </summary>
    /// <summary>
    /// The event, once its signature is checked; null when the signature is wrong or stale. A correctly signed body that
    /// is not an event we can read (not JSON, wrong shapes, no id or type) throws <see cref="StripeEventFormatException"/>:
    /// the SDK's JSON reader would otherwise surface as an unhandled error (a 500) and an event without an id would
    /// reach the receipts table.
    /// </summary>
    public static Event? Verify(string json, string signatureHeader, string webhookSecret)
    {
        if (string.IsNullOrWhiteSpace(signatureHeader)) return null;
        try
        {
            EventUtility.ValidateSignature(json, signatureHeader, webhookSecret, 300);
        }
        catch (StripeException)
        {
            return null;
        }
        Event stripeEvent;
        try
        {
            stripeEvent = EventUtility.ParseEvent(json, throwOnApiVersionMismatch: false);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or StripeException or KeyNotFoundException or ArgumentException or InvalidCastException
                                       or FormatException or OverflowException or InvalidOperationException or NullReferenceException)
        {
            throw new StripeEventFormatException($"The Stripe event is not readable: {ex.Message}", ex);
        }
        if (stripeEvent is null || string.IsNullOrEmpty(stripeEvent.Id) || string.IsNullOrEmpty(stripeEvent.Type) || stripeEvent.Data is null)
            throw new StripeEventFormatException("The Stripe event has no id, type or data.");
        // The receipts keep id (255) and type (100) as text: Stripe's own are short and never hold NUL.
        if (stripeEvent.Id.Length > 255 || stripeEvent.Type.Length > 100 || stripeEvent.Id.Contains('\0') || stripeEvent.Type.Contains('\0'))
            throw new StripeEventFormatException("The Stripe event's id or type is not one Stripe would send.");
        // Its ids go into queries and rows as text, which PostgreSQL cannot hold with a NUL in it (a 500 otherwise).
        if (HoldsNul(json))
            throw new StripeEventFormatException("The Stripe event holds a NUL character, which Stripe never sends.");
        return stripeEvent;
    }

    /// <summary>True when a string of the JSON (a name or a value) holds a NUL once unescaped.</summary>
    private static bool HoldsNul(string json)
    {
        if (!json.Contains("\\u0000", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json),
                new System.Text.Json.JsonReaderOptions { MaxDepth = 1024 });
            while (reader.Read())
                if (reader.TokenType is System.Text.Json.JsonTokenType.String or System.Text.Json.JsonTokenType.PropertyName
                    && reader.ValueIsEscaped && reader.GetString()!.Contains('\0'))
                    return true;
            return false;
        }
        catch (System.Text.Json.JsonException)
        {
            return true;
        }
    }

    public static string Money(decimal amount, string currency) =>
        amount.ToString(ZeroDecimal.Contains(currency) ? "N0" : "N2", CultureInfo.InvariantCulture) + " " + currency;
}
