using System.Globalization;
using System.Security.Claims;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.App.Auth;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record SuspendRequest(string? Reason);
public sealed record TenantStatusResponse(Guid Id, string Status, bool Changed);

/// <summary>
/// /api/v1/platform/*: what only the platform key may do. The group refuses every other caller (a tenant key gets 403)
/// before any handler runs, so a route added here later is closed to tenants by construction.
/// </summary>
public static class PlatformApi
{
    public static RouteGroupBuilder MapPlatformApi(this RouteGroupBuilder api)
    {
        var platform = api.MapGroup("/platform").WithTags("Platform")
            .AddEndpointFilter(async (context, next) => context.HttpContext.User.IsPlatformApiCaller()
                ? await next(context)
                : ApiProblems.Of(StatusCodes.Status403Forbidden, "api.platform_route"));
        platform.MapPost("/tenants/{t}/suspend", (string t, SuspendRequest? body, ClaimsPrincipal caller, ContextScopes scopes, PlatformTenants tenants, CancellationToken ct) =>
                SetAsync(t, true, body, caller, scopes, tenants, ct))
            .WithSummary("Suspend a tenant {reason?}: its bots stop, its members see a suspended notice, its webhooks are still stored. Idempotent; audited.");
        platform.MapPost("/tenants/{t}/resume", (string t, SuspendRequest? body, ClaimsPrincipal caller, ContextScopes scopes, PlatformTenants tenants, CancellationToken ct) =>
                SetAsync(t, false, body, caller, scopes, tenants, ct))
            .WithSummary("Resume a suspended tenant {reason?}. Idempotent; audited.");
        platform.MapPlatformFailedWorkApi();
        return api;
    }

    private static async Task<Results<Ok<TenantStatusResponse>, ProblemHttpResult>> SetAsync(string t, bool suspend, SuspendRequest? body,
        ClaimsPrincipal caller, ContextScopes scopes, PlatformTenants tenants, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var change = await tenants.SetSuspendedAsync(tenant!.Id, suspend, body?.Reason, new PlatformActor(null, caller.Identity?.Name ?? "platform-api"), ct);
        return change == StatusChange.NotFound
            ? ApiProblems.Of(StatusCodes.Status404NotFound, "api.no_tenant", t)
            : TypedResults.Ok(new TenantStatusResponse(tenant.Id, suspend ? "suspended" : "active", change == StatusChange.Changed));
    }

    /// <summary>The token-usage CSV (super admins, signed in): one line per UTC day, tenant, provider, model and feature.</summary>
    public static WebApplication MapCommandCenterDownloads(this WebApplication app)
    {
        app.MapGet("/admin/usage/export.csv", async Task<IResult> (DateOnly? from, DateOnly? to, Guid? tenant, HttpContext http, TokenSpend spend, TimeProvider clock,
                CancellationToken ct) =>
            {
                var period = SpendPeriod.LastDays(clock.GetUtcNow(), 30);
                period = new SpendPeriod(from ?? period.From, to ?? period.To);
                if (period.To < period.From || period.To.DayNumber - period.From.DayNumber > 366)
                    return ApiProblems.Of(StatusCodes.Status400BadRequest, "usage.period");
                var user = http.User;
                var lines = await spend.ExportAsync(user.GetUserId()!.Value, user.Identity?.Name ?? "", period, tenant, ct);
                http.Response.ContentType = "text/csv; charset=utf-8";
                http.Response.Headers.ContentDisposition = $"attachment; filename=\"token-usage-{period.Label}.csv\"";
                http.Response.Headers.CacheControl = "private, no-store";
                await using var csv = CsvWriter.Create(http.Response.Body, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
                await csv.WriteRecordAsync(["day", "tenant_id", "tenant", "provider", "model", "feature", "input_tokens", "output_tokens", "cost_usd", "calls"], ct);
                foreach (var l in lines)
                    await csv.WriteRecordAsync(
                    [
                        l.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), l.TenantId.ToString(), l.Tenant, l.Provider, l.Model, l.Feature,
                        l.InputTokens.ToString(CultureInfo.InvariantCulture), l.OutputTokens.ToString(CultureInfo.InvariantCulture),
                        l.Cost.ToString("0.######", CultureInfo.InvariantCulture), l.Calls.ToString(CultureInfo.InvariantCulture),
                    ], ct);
                await csv.FlushAsync(ct);
                return TypedResults.Empty;
            })
            .RequireAuthorization(Policies.SuperAdmin).ExcludeFromDescription();
        return app;
    }
}
