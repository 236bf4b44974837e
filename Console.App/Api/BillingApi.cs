using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Billing;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record PlanCheckoutRequest(string? Plan);

public sealed record CreditsCheckoutRequest(string? Pack);

/// <summary>Where to send the browser (Stripe Checkout or the portal); <c>changed</c> when a live subscription changed plan in place.</summary>
public sealed record BillingRedirect(string? Url, bool Changed);

/// <summary>The tenant's platform subscription through the platform's Stripe account: plan Checkout, credit packs, the portal.</summary>
public static class BillingApi
{
    public static RouteGroupBuilder MapBillingApi(this RouteGroupBuilder api)
    {
        var billing = api.MapGroup("/tenants/{t}/billing").WithTags("Billing");
        billing.MapPost("/checkout", Checkout)
            .WithSummary("Change plan {plan: starter|growth|pro}: {url} of a Stripe Checkout Session (subscription mode), or {changed: true} when the live subscription's price was swapped in place.");
        billing.MapPost("/credits/checkout", Credits)
            .WithSummary("Buy a pack of AI replies {pack: replies-500|replies-2000|replies-10000}: {url} of a one-time Stripe Checkout Session.");
        billing.MapPost("/portal", Portal).WithSummary("{url} of the Stripe customer portal (payment method, invoices), returning to /billing.");
        return api;
    }

    private static async Task<Results<Ok<BillingRedirect>, ProblemHttpResult>> Checkout(string t, PlanCheckoutRequest? body, ClaimsPrincipal caller,
        ContextScopes scopes, PlatformBilling billing, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!Enum.TryParse<Plan>(body?.Plan, ignoreCase: true, out var plan) || !PlanCatalog.SelfServe.Contains(plan) || int.TryParse(body?.Plan, out _))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "billing.plan_unknown", body?.Plan ?? "");
        return TypedResults.Ok(ToRedirect(await billing.ChangePlanAsync(tenant!.Id, plan, caller.Identity?.Name ?? "api", ct)));
    }

    private static async Task<Results<Ok<BillingRedirect>, ProblemHttpResult>> Credits(string t, CreditsCheckoutRequest? body, ClaimsPrincipal caller,
        ContextScopes scopes, PlatformBilling billing, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (CreditPack.Find(body?.Pack) is not { } pack) return ApiProblems.Of(StatusCodes.Status400BadRequest, "billing.pack_unknown", body?.Pack ?? "");
        return TypedResults.Ok(ToRedirect(await billing.BuyCreditsAsync(tenant!.Id, pack.Id, caller.Identity?.Name ?? "api", ct)));
    }

    private static async Task<Results<Ok<BillingRedirect>, ProblemHttpResult>> Portal(string t, ClaimsPrincipal caller, ContextScopes scopes,
        PlatformBilling billing, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(ToRedirect(await billing.OpenPortalAsync(tenant!.Id, "/" + PlatformBilling.ReturnPath, ct)));
    }

    private static BillingRedirect ToRedirect(BillingAction action) => new(action.RedirectTo?.AbsoluteUri, action.ChangedInPlace);
}
