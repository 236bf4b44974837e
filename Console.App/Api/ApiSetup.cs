using Microsoft.AspNetCore.Diagnostics;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.App.Api;

public static class ApiSetup
{
    public static IServiceCollection AddConsoleApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
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
        var api = app.MapGroup("/api/v1").RequireAuthorization(Auth.Policies.Api).DisableAntiforgery()
            .AddEndpointFilter<PlatformApiAuditFilter>();
        api.MapTenantsApi();
        api.MapConversationsApi();
        api.MapAgentApi();
        api.MapKnowledgeApi();
        api.MapToolsApi();
        api.MapProductsApi();
        api.MapLabelsApi();
        return app;
    }
}

/// <summary>Turns rule violations into problem details for machine routes; pages keep their own error handling.</summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (!Hosting.Pipeline.IsMachineRoute(context.Request.Path)) return false;
        var (status, title, detail, code) = exception switch
        {
            DomainException { Code: "conversation.not_found" or "contact.not_found" or Domain.Conversations.Label.NotFoundCode } d => (StatusCodes.Status404NotFound, "Not found", d.Message, d.Code),
            Infrastructure.Inbox.InboxForbiddenException f => (StatusCodes.Status403Forbidden, "Forbidden", f.Message, "inbox.forbidden"),
            DomainException d => (StatusCodes.Status422UnprocessableEntity, "Invalid request", d.Message, d.Code),
            ConflictException c => (StatusCodes.Status409Conflict, "Conflict", c.Message, c.Code),
            Infrastructure.Channels.Outbound.WindowClosedException w => (StatusCodes.Status409Conflict, "Customer window closed", w.Message, "window_closed"),
            TenantIsolationException => (StatusCodes.Status403Forbidden, "Forbidden", "That resource belongs to another tenant.", "tenant.isolation"),
            BadHttpRequestException b => (b.StatusCode, "Bad request", b.Message, "request.invalid"),
            _ => (0, "", "", ""),
        };
        if (status == 0) return false;
        log.LogInformation("API request refused with {Status}: {Code}", status, code);
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail, Extensions = { ["code"] = code } },
        });
    }
}
