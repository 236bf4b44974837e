using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Localization;
using MudBlazor;
using MudBlazor.Services;
using OperatorConsole.App.Auth;

using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Hosting;

public static class Pipeline
{
    public static readonly string[] Cultures = ["es", "en"];

    public static IServiceCollection AddConsoleUi(this IServiceCollection services)
    {
        services.AddLocalization();
        // Spanish text stays readable in the HTML (ñ, á…) instead of being escaped as character references.
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddTransient<MudLocalizer, Resources.MudStrings>();
        services.AddScoped<Components.Layout.ComposerSettings>();
        services.AddHttpContextAccessor();
        services.AddHealthChecks().AddDbContextCheck<AppDbContext>("database", tags: ["ready"]);
        services.AddConsoleNetwork();
        services.AddConsoleRateLimits();
        services.AddSingleton<Infrastructure.Channels.Simulator.ISelfAddress, ServerSelfAddress>();
        // Antiforgery would add "X-Frame-Options: SAMEORIGIN" to form pages; SecurityHeaders sends DENY for every page.
        services.AddAntiforgery(o => o.SuppressXFrameOptionsHeader = true);
        // Cookies are Secure whenever the request came over https (directly or via a trusted proxy's X-Forwarded-Proto)
        // and never looser than SameSite=Lax; the antiforgery cookie stays Strict.
        services.Configure<CookiePolicyOptions>(o =>
        {
            o.Secure = CookieSecurePolicy.SameAsRequest;
            o.MinimumSameSitePolicy = SameSiteMode.Lax;
        });
        return services;
    }

    public static WebApplication UseConsolePipeline(this WebApplication app)
    {
        // First, so everything after sees the client's address and scheme as told by a trusted proxy (HSTS, Secure cookies).
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment()) app.UseHsts();
        app.UseSecurityHeaders();
        app.UseCookiePolicy();
        app.UseExceptionHandler();
        app.UseRequestLocalization(o =>
        {
            // Spanish first: most of our customers are in Latin America.
            o.SetDefaultCulture("es").AddSupportedCultures(Cultures).AddSupportedUICultures(Cultures);
            o.RequestCultureProviders = [new QueryStringRequestCultureProvider(), new CookieRequestCultureProvider(),
                new AcceptLanguageHeaderRequestCultureProvider()];
        });
        app.Use((context, next) =>
        {
            Api.ApiProblems.ChooseLanguage(context);
            return next(context);
        });
        // Pages answer 403/404 with a page, in place; the API and webhooks answer with problem details instead.
        app.UseWhen(c => !IsMachineRoute(c.Request.Path),
            b => b.UseStatusCodePagesWithReExecute("/Account/Status/{0}", createScopeForStatusCodePages: true));
        // Routing after the re-execution point, so the re-executed request is routed to the access-denied page.
        app.UseRouting();
        // Before authentication: a client over its budget costs no API-key lookup.
        app.UseRateLimiter();
        app.UseAuthentication();
        app.Use((context, next) =>
        {
            context.User.ApplyTo(context.RequestServices.GetRequiredService<TenantContext>());
            return next(context);
        });
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static bool IsMachineRoute(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/webhooks") || path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/media")
        || path.StartsWithSegments("/openapi") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/_framework");

    public static WebApplication MapConsoleHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        return app;
    }

    public static WebApplication MapConsoleUi(this WebApplication app)
    {
        app.MapStaticAssets();
        // The framework's own "frame-ancestors 'self'" would pre-empt the full policy SecurityHeaders sets (which says 'none').
        app.MapRazorComponents<OperatorConsole.App.Components.App>()
            .AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        return app;
    }
}
