using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Identity;
using OperatorConsole.App.Auth;

namespace OperatorConsole.App.Live;

public static class LiveSetup
{
    /// <summary>A member by cookie (browser) or a tenant API key (integrations), working in a tenant.</summary>
    public const string HubPolicy = "LiveMember";

    public static IServiceCollection AddConsoleLive(this IServiceCollection services)
    {
        services.AddSignalR();
        services.AddSingleton<HubChannelAudience>();
        services.AddHostedService<ConsoleHubBridge>();
        services.AddScoped<CircuitViews>();
        services.AddScoped<CircuitHandler, PresenceCircuitHandler>();
        services.AddAuthorizationBuilder().AddPolicy(HubPolicy, p => p
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme, ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim(ConsoleClaims.TenantId)
            .AddRequirements(new CurrentMembershipRequirement(managers: false), new ActiveWorkspaceRequirement())
            // Live events describe the tenant's conversations: a tenant key needs the read scope to hear them.
            .RequireAssertion(c => c.User.FindFirst(ConsoleClaims.ApiScope)?.Value != "tenant"
                || c.User.HasApiKeyScope(Domain.Platform.ApiKeyScopes.Read)));
        return services;
    }

    public static WebApplication MapConsoleLive(this WebApplication app)
    {
        app.MapHub<ConsoleHub>(ConsoleHub.Path);
        return app;
    }
}
