using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.Localization;
using OperatorConsole.App.Resources;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.App.Api;

public static class ApiSetup
{
    public static IServiceCollection AddConsoleApi(this IServiceCollection services)
    {
        // Every problem the app writes (handlers, the exception handler, auth, rate limits) is worded in the caller's language.
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ApiProblems.Localize);
        // Malformed JSON becomes an exception the handler below turns into a 400 problem, in every environment.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, ApiScopeHandler>();
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Console API";
            doc.Info.Description = "Tenant and platform automation. Authenticate with 'Authorization: Bearer <api key>'.";
            return Task.CompletedTask;
        }));
        return services;
    }

    public static WebApplication MapConsoleApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapAppointmentInvites();
        var api = app.MapGroup("/api/v1").RequireAuthorization(Auth.Policies.Api).DisableAntiforgery()
            .AddEndpointFilter<PlatformApiAuditFilter>().AddEndpointFilter<SuspendedWorkspaceFilter>();
        api.MapTenantsApi();
        api.MapConversationsApi();
        api.MapAgentApi();
        api.MapKnowledgeApi();
        api.MapToolsApi();
        api.MapReplayApi();
        api.MapFilesApi();
        api.MapProductsApi();
        api.MapLabelsApi();
        api.MapScheduledApi();
        api.MapFollowUpsApi();
        api.MapRemindersApi();
        api.MapPaymentsApi();
        api.MapBillingApi();
        api.MapWebhooksApi();
        api.MapPipelineApi();
        api.MapContactImportsApi();
        api.MapAppointmentsApi();
        api.MapTeamApi();
        api.MapTemplatesApi();
        api.MapPlatformApi();
        app.MapContactImportDownloads();
        app.MapTeamDownloads();
        app.MapCommandCenterDownloads();
        return app;
    }
}

/// <summary>Turns rule violations into problem details for machine routes; pages keep their own error handling.</summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, IStringLocalizer<SharedResource> L, ILogger<ApiExceptionHandler> log)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (!Hosting.Pipeline.IsMachineRoute(context.Request.Path)) return false;
        var (status, code) = exception switch
        {
            // Whatever a tenant names that is not theirs (or not there) is "not found", never a hint that it exists elsewhere.
            DomainException d when d.Code.EndsWith(".not_found", StringComparison.Ordinal)
                => (StatusCodes.Status404NotFound, d.Code),
            Infrastructure.Inbox.InboxForbiddenException => (StatusCodes.Status403Forbidden, "inbox.forbidden"),
            DomainException { Code: SuspendedWorkspaceFilter.Code } d => (StatusCodes.Status403Forbidden, d.Code),
            // The plan does not allow it: 402, with the plan that does (requiredPlan below).
            DomainException d when Infrastructure.Billing.PlanGates.RequiredPlan(d) is not null => (StatusCodes.Status402PaymentRequired, d.Code),
            // Nothing wrong with the request: the platform cannot take payments (not set up) or Stripe failed.
            DomainException { Code: "billing.not_configured" } d => (StatusCodes.Status503ServiceUnavailable, d.Code),
            DomainException { Code: "billing.stripe_error" } d => (StatusCodes.Status502BadGateway, d.Code),
            DomainException d => (StatusCodes.Status422UnprocessableEntity, d.Code),
            ConflictException c => (StatusCodes.Status409Conflict, c.Code),
            Infrastructure.Channels.Outbound.WindowClosedException => (StatusCodes.Status409Conflict, "window_closed"),
            TenantIsolationException => (StatusCodes.Status403Forbidden, "tenant.isolation"),
            BadHttpRequestException b => (b.StatusCode, "request.invalid"),
            // PostgreSQL's text cannot hold a NUL: whatever field or query carried one, the request is refused whole.
            _ when HoldsNul(exception) => (StatusCodes.Status400BadRequest, "request.nul"),
            _ => (0, ""),
        };
        if (status == 0) return false;
        log.LogInformation("API request refused with {Status}: {Code}", status, code);
        // The exception left the request's culture scope on its way here: take the caller's language again.
        ApiProblems.UseCallerLanguage(context);
        var detail = exception switch
        {
            TenantIsolationException => L["Error.tenant.isolation"].Value,
            BadHttpRequestException b => b.Message,
            _ when code == "request.nul" => L["Error.request.nul"].Value,
            _ => UserErrors.Describe(exception, L),
        };
        context.Response.StatusCode = status;
        var problem = new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Detail = detail, Extensions = { ["code"] = code } },
        };
        if (exception is DomainException refusal && Infrastructure.Billing.PlanGates.RequiredPlan(refusal) is { } plan)
            problem.ProblemDetails.Extensions["requiredPlan"] = plan.ToString();
        return await problems.TryWriteAsync(problem);
    }

    /// <summary>PostgreSQL refused a text value holding a NUL (22021), however deep EF or Npgsql wrapped it.</summary>
    private static bool HoldsNul(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.CharacterNotInRepertoire }) return true;
        return false;
    }
}

/// <summary>
/// The language of machine answers: the caller's (<c>Accept-Language</c>, the UI culture cookie, <c>?culture=</c>),
/// English when it names none (an integration has no user to speak to; the UI's Spanish default is for people).
/// </summary>
public static class ApiProblems
{
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");

    /// <summary>
    /// A refusal named by its code: the detail is the resource <c>Error.{code}</c> with <paramref name="args"/>, worded
    /// in the caller's language when the problem is written.
    /// </summary>
    public static ProblemHttpResult Of(int status, string code, params object?[] args) =>
        TypedResults.Problem(statusCode: status, extensions: Coded(code, args));

    /// <summary>The extensions of a problem whose detail is the resource <c>Error.{code}</c>, for code that writes its own.</summary>
    public static Dictionary<string, object?> Coded(string code, params object?[] args) => new() { ["code"] = code, [ArgsKey] = args };

    private const string ArgsKey = "__args";

    /// <summary>Machine routes without a language of their own are answered in English.</summary>
    public static void ChooseLanguage(HttpContext http)
    {
        if (!Hosting.Pipeline.IsMachineRoute(http.Request.Path)) return;
        if (http.Features.Get<IRequestCultureFeature>() is { Provider: not null }) return;
        http.Features.Set<IRequestCultureFeature>(new RequestCultureFeature(new RequestCulture(English), null));
        CultureInfo.CurrentCulture = English;
        CultureInfo.CurrentUICulture = English;
    }

    public static void UseCallerLanguage(HttpContext http)
    {
        var feature = http.Features.Get<IRequestCultureFeature>();
        var culture = feature?.Provider is null ? English : feature.RequestCulture.UICulture;
        CultureInfo.CurrentCulture = culture;
        CultureInfo.CurrentUICulture = culture;
    }

    public static void Localize(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        if (!Hosting.Pipeline.IsMachineRoute(http.Request.Path)) return;
        UseCallerLanguage(http);
        var L = http.RequestServices.GetRequiredService<IStringLocalizer<SharedResource>>();
        var problem = context.ProblemDetails;
        if (problem.Status is { } status && L[$"Problem.{status}"] is { ResourceNotFound: false } title) problem.Title = title.Value;
        if (problem.Extensions.Remove(ArgsKey, out var raw) && problem.Extensions.TryGetValue("code", out var code) && code is string key)
        {
            problem.Detail = UserErrors.Format(L, $"Error.{key}", raw as object?[] ?? []) ?? key;
        }
    }
}
