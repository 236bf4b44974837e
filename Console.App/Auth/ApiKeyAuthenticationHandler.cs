using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Security;

namespace OperatorConsole.App.Auth;

/// <summary>
/// "Authorization: Bearer &lt;key&gt;" for /api/v1: the platform bootstrap key (all tenants) or a tenant key (its tenant only).
/// Challenges and forbids answer with problem details instead of redirects.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyService apiKeys,
    IOptionsMonitor<PlatformOptions> platform,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var key = header["Bearer ".Length..].Trim();

        var bootstrap = platform.CurrentValue.BootstrapApiKey;
        if (!string.IsNullOrEmpty(bootstrap) &&
            CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(bootstrap)))
        {
            return Success([new Claim(ConsoleClaims.ApiScope, "platform"), new Claim(ClaimTypes.Name, "platform-api")]);
        }

        var identity = await apiKeys.AuthenticateAsync(key, Context.RequestAborted);
        if (identity is null) return AuthenticateResult.Fail("Invalid, expired or revoked API key.");
        return Success([
            new Claim(ConsoleClaims.ApiScope, "tenant"),
            new Claim(ConsoleClaims.TenantId, identity.TenantId.ToString()),
            new Claim(ConsoleClaims.ApiKeyId, identity.KeyId.ToString()),
            new Claim(ClaimTypes.Name, $"api-key:{identity.Name}"),
            .. identity.Scopes.Select(s => new Claim(ConsoleClaims.ApiKeyScope, s)),
        ]);
    }

    private AuthenticateResult Success(Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status401Unauthorized, "api.unauthorized");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "api.forbidden");

    // Title and detail are worded in the caller's language from the code (ApiProblems.Localize).
    private async Task WriteProblem(int status, string code)
    {
        Response.StatusCode = status;
        if (status == 401) Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Extensions = Api.ApiProblems.Coded(code) },
        });
    }
}
