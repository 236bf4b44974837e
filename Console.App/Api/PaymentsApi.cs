using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Payments;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record StripeConnectRequest(string? SecretKey, string? WebhookSecret);

public sealed record StripeConnectionResponse(bool Connected, string? AccountId, string? AccountName);

public sealed record PaymentResponse(Guid Id, Guid ContactId, Guid? ConversationId, Guid? ProductId, string Description, decimal Amount,
    string Currency, string Status, string Provider, string? CheckoutUrl, DateTimeOffset CreatedAt, DateTimeOffset? PaidAt);

public sealed record PaymentList(IReadOnlyList<PaymentResponse> Items);

/// <summary>An operator or integration asks a customer to pay for a product (Stripe Checkout when connected, else manual).</summary>
public sealed record NewPaymentRequest(Guid? ContactId, Guid? ConversationId, Guid? ProductId, int? Quantity);

public sealed record VoucherRequest(Guid? MessageId);

/// <summary>The tenant's payments and its own Stripe account.</summary>
public static class PaymentsApi
{
    public static RouteGroupBuilder MapPaymentsApi(this RouteGroupBuilder api)
    {
        var payments = api.MapGroup("/tenants/{t}/payments").WithTags("Payments");
        payments.MapPut("/stripe", ConnectStripe)
            .WithSummary("Connect the tenant's Stripe account {secretKey, webhookSecret}: checked with GET /v1/account first; 400 with Stripe's message when refused.");
        payments.MapGet("/", List).WithSummary("Payments, newest first; filter with ?status=pending|paid|failed|expired|refunded&contactId=.");
        payments.MapPost("/", Create).WithSummary("Ask a contact to pay for a product {contactId, conversationId?, productId, quantity?} → 201 payment.");
        payments.MapPost("/{id:guid}/voucher", AttachVoucher).WithSummary("Attach the customer's voucher (a message with media in the conversation) to a pending payment.");
        payments.MapPost("/{id:guid}/confirm", Confirm).WithSummary("Confirm a pending payment by hand (transfer, cash): the same effects as a card payment.");
        payments.MapPost("/{id:guid}/reject", Reject).WithSummary("Reject a pending payment (the voucher did not check out): it becomes failed.");
        return api;
    }

    public static PaymentResponse ToResponse(PaymentLink p) => new(p.Id, p.ContactId, p.ConversationId, p.ProductId, p.Description, p.Amount,
        p.Currency, p.Status.ToString().ToLowerInvariant(), p.Provider.ToString().ToLowerInvariant(), p.CheckoutUrl, p.CreatedAt, p.PaidAt);

    private static async Task<Results<Ok<StripeConnectionResponse>, ProblemHttpResult>> ConnectStripe(string t, StripeConnectRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, PaymentSetup setup, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        try
        {
            var view = await setup.ConnectStripeAsync(tenant!.Id, body.SecretKey, body.WebhookSecret, ct);
            return TypedResults.Ok(new StripeConnectionResponse(view.StripeConnected, view.StripeAccountId, view.StripeAccountName));
        }
        catch (StripeKeyRejectedException refused)
        {
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "payment.stripe_rejected", refused.Message);
        }
    }

    private static async Task<Results<Ok<PaymentList>, ProblemHttpResult>> List(string t, string? status, Guid? contactId, ClaimsPrincipal caller,
        ContextScopes scopes, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var query = work.Db.PaymentLinks.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!Enum.TryParse<PaymentLinkStatus>(status, ignoreCase: true, out var wanted))
                return ApiProblems.Of(StatusCodes.Status400BadRequest, "payment.status_unknown", status);
            query = query.Where(p => p.Status == wanted);
        }
        if (contactId is { } c) query = query.Where(p => p.ContactId == c);
        var items = await query.OrderByDescending(p => p.CreatedAt).Take(500).ToListAsync(ct);
        return TypedResults.Ok(new PaymentList(items.Select(ToResponse).ToList()));
    }

    private static async Task<Results<Created<PaymentResponse>, ProblemHttpResult>> Create(string t, NewPaymentRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, PaymentCommands payments, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var product = await work.Db.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Id == body.ProductId && p.Active, ct);
        if (product is null) return ApiProblems.Of(StatusCodes.Status404NotFound, "product.not_found");
        var contact = await work.Db.Contacts.AsNoTracking().AnyAsync(c => c.Id == body.ContactId, ct);
        if (!contact) return ApiProblems.Of(StatusCodes.Status404NotFound, "contact.not_found");
        if (body.ConversationId is { } conversationId && !await work.Db.Conversations.AnyAsync(c => c.Id == conversationId && c.ContactId == body.ContactId, ct))
            return ApiProblems.Of(StatusCodes.Status404NotFound, "conversation.not_found");
        var payment = await payments.RequestAsync(tenant.Id, body.ContactId!.Value, body.ConversationId, product, body.Quantity ?? 1, null, ct);
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/payments/{payment.Id}", ToResponse(payment));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> AttachVoucher(string t, Guid id, VoucherRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, PaymentCommands payments, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await payments.AttachVoucherAsync(tenant!.Id, id, body.MessageId ?? Guid.Empty, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Confirm(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        PaymentCommands payments, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await payments.ConfirmAsync(tenant!.Id, id, caller.Identity?.Name ?? "api", ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Reject(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        PaymentCommands payments, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await payments.RejectAsync(tenant!.Id, id, ct);
        return TypedResults.NoContent();
    }
}
