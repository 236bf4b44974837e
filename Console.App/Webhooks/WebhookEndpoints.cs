using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Channels.Inbound;

namespace OperatorConsole.App.Webhooks;

/// <summary>
/// /webhooks/{whatsapp|messenger|instagram|tiktok}[/{tenantSlug}]: Meta and TikTok must always get a fast, correct
/// answer. 200 = stored durably (also for a duplicate and for a number nobody connected), 401 = bad signature
/// (nothing stored), 400 = signed but unparseable (kept for replay), 413 = too large, 503 = database down.
/// </summary>
public static class WebhookEndpoints
{
    public static WebApplication MapWebhooks(this WebApplication app)
    {
        var hooks = app.MapGroup("/webhooks").DisableAntiforgery().WithTags("Webhooks");
        hooks.MapGet("/{source}", (string source, HttpRequest r, WebhookIntake intake, CancellationToken ct) => Handshake(source, null, r, intake, ct));
        hooks.MapGet("/{source}/{tenantSlug}", (string source, string tenantSlug, HttpRequest r, WebhookIntake intake, CancellationToken ct) =>
            Handshake(source, tenantSlug, r, intake, ct));
        // A tenant's own Stripe account calls its own URL; the literal segment wins over {source}.
        hooks.MapPost("/stripe/{tenantSlug}", ReceiveStripe);
        // The platform's own Stripe account (plans, credits); also a literal segment, so it wins over {source}.
        hooks.MapPost("/stripe", ReceivePlatformStripe);
        hooks.MapPost("/{source}", (string source, HttpRequest r, WebhookIntake intake, IOptionsMonitor<WebhookOptions> o, CancellationToken ct) =>
            Receive(source, null, r, intake, o.CurrentValue, ct));
        hooks.MapPost("/{source}/{tenantSlug}", (string source, string tenantSlug, HttpRequest r, WebhookIntake intake,
            IOptionsMonitor<WebhookOptions> o, CancellationToken ct) => Receive(source, tenantSlug, r, intake, o.CurrentValue, ct));
        return app;
    }

    private static async Task<IResult> Handshake(string source, string? tenantSlug, HttpRequest request, WebhookIntake intake, CancellationToken ct)
    {
        var q = request.Query;
        // Never echo the challenge unless the token matches.
        return await intake.VerifyHandshakeAsync(source, tenantSlug, q["hub.mode"], q["hub.verify_token"], ct)
            ? Results.Text(q["hub.challenge"].ToString(), "text/plain")
            : Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Verification failed");
    }

    private static async Task<IResult> Receive(string source, string? tenantSlug, HttpRequest request, WebhookIntake intake,
        WebhookOptions options, CancellationToken ct)
    {
        if (request.ContentLength > options.MaxBodyBytes) return TooLarge(options);
        var body = await ReadLimitedAsync(request.Body, options.MaxBodyBytes, ct);
        if (body is null) return TooLarge(options);
        var header = source == "tiktok" ? request.Headers["Tiktok-Signature"].ToString() : request.Headers["X-Hub-Signature-256"].ToString();
        return await intake.ReceiveAsync(source, tenantSlug, body, header, ct) switch
        {
            IntakeResult.Accepted or IntakeResult.Duplicate => Results.Ok(),
            IntakeResult.BadSignature => Results.Problem(statusCode: 401, title: "Invalid signature",
                detail: "The signature header does not match the body for this endpoint's secret."),
            IntakeResult.Unparseable => Results.Problem(statusCode: 400, title: "Unparseable delivery",
                detail: "The signature is valid but the body is not a delivery we understand; it was kept for review."),
            IntakeResult.UnknownSource => Results.Problem(statusCode: 404, title: "Unknown webhook source",
                detail: "Use whatsapp, messenger, instagram or tiktok."),
            _ => Results.Problem(statusCode: 503, title: "Temporarily unavailable", detail: "Please retry."),
        };
    }

    /// <summary>A Stripe event's body as text (both Stripe routes): the size limit, then strict UTF-8, else the refusal.</summary>
    private static async Task<(string Json, IResult? Refused)> ReadStripeBodyAsync(HttpRequest request, WebhookOptions options, CancellationToken ct)
    {
        if (request.ContentLength > options.MaxBodyBytes) return ("", TooLarge(options));
        var body = await ReadLimitedAsync(request.Body, options.MaxBodyBytes, ct);
        if (body is null) return ("", TooLarge(options));
        try
        {
            return (new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body), null);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return ("", Results.Problem(statusCode: 400, title: "Invalid signature", detail: "The body is not UTF-8 JSON."));
        }
    }

    /// <summary>
    /// 200 once the event is applied (or was already, or is not about one of our payments); 400 when the signature does
    /// not match that tenant's webhook secret, with nothing changed.
    /// </summary>
    private static async Task<IResult> ReceiveStripe(string tenantSlug, HttpRequest request, Infrastructure.Payments.StripeWebhook stripe,
        IOptionsMonitor<WebhookOptions> o, CancellationToken ct)
    {
        var (json, refused) = await ReadStripeBodyAsync(request, o.CurrentValue, ct);
        if (refused is not null) return refused;
        Infrastructure.Payments.StripeWebhookResult result;
        try
        {
            result = await stripe.HandleAsync(tenantSlug, json, request.Headers["Stripe-Signature"].ToString(), ct);
        }
        catch (Infrastructure.Payments.StripeEventFormatException ex)
        {
            return Unreadable(ex);
        }
        return result == Infrastructure.Payments.StripeWebhookResult.BadSignature
            ? Results.Problem(statusCode: 400, title: "Invalid signature",
                detail: "The Stripe-Signature header does not match the body for this endpoint's webhook secret.")
            : Results.Ok();
    }

    /// <summary>
    /// The platform's billing events: 200 once applied (or already, or not about any tenant); 400 when the signature does
    /// not match <c>Stripe:WebhookSecret</c>, with nothing changed; 503 when Stripe could not be asked for the
    /// subscription's current state (Stripe retries).
    /// </summary>
    private static async Task<IResult> ReceivePlatformStripe(HttpRequest request, Infrastructure.Billing.PlatformStripeWebhook stripe,
        IOptionsMonitor<WebhookOptions> o, CancellationToken ct)
    {
        var (json, refused) = await ReadStripeBodyAsync(request, o.CurrentValue, ct);
        if (refused is not null) return refused;
        Infrastructure.Billing.PlatformStripeWebhookResult result;
        try
        {
            result = await stripe.HandleAsync(json, request.Headers["Stripe-Signature"].ToString(), ct);
        }
        catch (Infrastructure.Payments.StripeEventFormatException ex)
        {
            return Unreadable(ex);
        }
        return result switch
        {
            Infrastructure.Billing.PlatformStripeWebhookResult.BadSignature => Results.Problem(statusCode: 400, title: "Invalid signature",
                detail: "The Stripe-Signature header does not match the body for the platform's webhook secret."),
            Infrastructure.Billing.PlatformStripeWebhookResult.Unavailable => Results.Problem(statusCode: 503, title: "Temporarily unavailable",
                detail: "Stripe could not be asked for the subscription's current state; please retry."),
            _ => Results.Ok(),
        };
    }

    /// <summary>A correctly signed Stripe body that is not an event we can read: 400, nothing changed (Stripe shows it in its dashboard).</summary>
    private static IResult Unreadable(Infrastructure.Payments.StripeEventFormatException ex) => Results.Problem(statusCode: 400,
        title: "Unparseable event", detail: ex.Message);

    private static IResult TooLarge(WebhookOptions options) => Results.Problem(statusCode: 413, title: "Body too large",
        detail: $"Webhook bodies are limited to {options.MaxBodyBytes} bytes.");

    /// <summary>Reads at most <paramref name="limit"/> bytes; null when the body is longer (chunked bodies have no length).</summary>
    private static async Task<byte[]?> ReadLimitedAsync(Stream body, long limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
