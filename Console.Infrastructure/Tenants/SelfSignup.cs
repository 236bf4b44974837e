using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Email;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Platform;

namespace OperatorConsole.Infrastructure.Tenants;

public sealed record SignupRequest(string BusinessName, string OwnerName, string Email, string Password, SignupCountry Country, string Culture);

/// <summary>What the person signing up is told is the same for both: "check your e-mail".</summary>
public enum SignupOutcome { Created, ExistingAccount }

/// <summary>
/// A business signing itself up: a trial workspace on Starter with an unconfirmed owner, and the confirmation link mailed.
/// An e-mail that already has an account gets no workspace and the page says the same as for a new one (so the form
/// cannot be used to find out who has an account); that address's owner is told someone tried.
/// </summary>
public sealed class SelfSignup(
    TenantProvisioning provisioning,
    UserManager<ApplicationUser> users,
    EmailOutbox email,
    PublicLinks links,
    IOptions<BillingOptions> billing,
    TimeProvider clock)
{
    public const string Actor = "self-service sign-up";

    public async Task<(SignupOutcome Outcome, Guid? TenantId)> SignUpAsync(SignupRequest request, CancellationToken ct = default)
    {
        var existing = await users.FindByEmailAsync(request.Email.Trim());
        if (existing is not null)
        {
            await ExistingAccountAsync(existing, ct);
            return (SignupOutcome.ExistingAccount, null);
        }
        var baseSlug = SlugFrom(request.BusinessName);
        for (var attempt = 0; ; attempt++)
        {
            // The unique index decides; on a taken slug a short random suffix is tried (a few times, then give up loudly).
            var slug = attempt == 0 ? baseSlug : $"{baseSlug}-{Random.Shared.Next(100, 10_000).ToString(CultureInfo.InvariantCulture)}";
            try
            {
                var created = await provisioning.CreateAsync(new NewTenant(request.BusinessName, slug, Plan.Starter, request.Email,
                    request.Password, request.OwnerName)
                {
                    SelfService = true,
                    Country = request.Country,
                    TrialEndsAt = clock.GetUtcNow().AddDays(billing.Value.TrialDays),
                    OwnerCulture = request.Culture,
                }, Actor, ct);
                var owner = (await users.FindByIdAsync(created.OwnerUserId.ToString()))!;
                await SendConfirmationAsync(owner);
                return (SignupOutcome.Created, created.Id);
            }
            catch (ConflictException ex) when (ex.Code == "tenant.slug_taken" && attempt < 5)
            {
            }
            catch (ConflictException ex) when (ex.Code == "signup.email_taken")
            {
                // Someone signed up with this e-mail a moment ago: same answer as any existing account.
                if (await users.FindByEmailAsync(request.Email.Trim()) is { } other) await ExistingAccountAsync(other, ct);
                return (SignupOutcome.ExistingAccount, null);
            }
        }
    }

    /// <summary>Mails (again) the link that confirms the address and opens the workspace. Does nothing for a confirmed account.</summary>
    public async Task ResendAsync(string emailAddress)
    {
        var user = await users.FindByEmailAsync(emailAddress.Trim());
        if (user is { EmailConfirmed: false }) await SendConfirmationAsync(user);
    }

    private async Task SendConfirmationAsync(ApplicationUser user)
    {
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GenerateEmailConfirmationTokenAsync(user)));
        // From the configured public URL, never the request's Host (whoever sends the request chooses that header).
        var link = links.To("Account/ConfirmEmail", new Dictionary<string, string?> { ["userId"] = user.Id.ToString(), ["code"] = code });
        await email.SendConfirmationLinkAsync(user, user.Email!, link);
    }

    private async Task ExistingAccountAsync(ApplicationUser user, CancellationToken ct)
    {
        // Never confirmed: this is most likely the same person who lost the first mail, so they get a fresh link.
        if (!user.EmailConfirmed)
        {
            await SendConfirmationAsync(user);
            return;
        }
        var signIn = WebUtility.HtmlEncode(links.To("Account/Login"));
        var reset = WebUtility.HtmlEncode(links.To("Account/ForgotPassword"));
        var spanish = (user.Culture ?? CultureInfo.CurrentUICulture.Name).StartsWith("es", StringComparison.OrdinalIgnoreCase);
        await (spanish
            ? email.SendAsync(user.Email!, "Alguien intentó crear una cuenta de Console con tu correo",
                "<p>Alguien intentó crear una cuenta nueva de Console con este correo, que ya tiene una cuenta. No se creó nada.</p>" +
                $"<p>Si fuiste tú, <a href=\"{signIn}\">inicia sesión</a> o <a href=\"{reset}\">restablece tu contraseña</a>. Si no, ignora este correo.</p>", ct)
            : email.SendAsync(user.Email!, "Someone tried to create a Console account with your e-mail",
                "<p>Someone tried to create a new Console account with this e-mail, which already has one. Nothing was created.</p>" +
                $"<p>If it was you, <a href=\"{signIn}\">sign in</a> or <a href=\"{reset}\">reset your password</a>. If not, ignore this e-mail.</p>", ct));
    }

    /// <summary>"Café Doña Lupe" → "cafe-dona-lupe": accents dropped, anything else becomes a single hyphen, at most 32 long.</summary>
    public static string SlugFrom(string businessName)
    {
        var plain = new StringBuilder();
        foreach (var c in (businessName ?? "").Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            plain.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }
        var slug = string.Join('-', plain.ToString().Split('-', StringSplitOptions.RemoveEmptyEntries));
        if (slug.Length > 32) slug = slug[..32].TrimEnd('-');
        return slug.Length < 2 ? "negocio" : slug;
    }
}
