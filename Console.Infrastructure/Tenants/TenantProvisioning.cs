using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Tenants;

public sealed record NewTenant(string Name, string Slug, Plan Plan, string OwnerEmail, string? OwnerPassword, string? OwnerName = null)
{
    /// <summary>
    /// Self-service sign-up: the owner must be a new account, created unconfirmed (the e-mail link confirms it). An
    /// existing e-mail is refused instead of being given the new workspace.
    /// </summary>
    public bool SelfService { get; init; }

    /// <summary>Sets the workspace's time zone, language and phone region; null keeps the defaults.</summary>
    public SignupCountry? Country { get; init; }

    public DateTimeOffset? TrialEndsAt { get; init; }

    /// <summary>The language the owner's e-mails and console open in ("es"/"en").</summary>
    public string? OwnerCulture { get; init; }
}

public sealed record ProvisionedTenant(Guid Id, string Slug, Guid OwnerUserId, bool OwnerCreated);

/// <summary>Raised for a request that conflicts with existing state (duplicate slug, number already connected). Maps to 409.</summary>
public sealed class ConflictException(string code, string message, params object?[] args) : Exception(message)
{
    public string Code { get; } = code;
    public IReadOnlyList<object?> Args { get; } = args;
}

/// <summary>Creates a tenant with its owner. The slug's unique index decides races, not a prior lookup.</summary>
public sealed class TenantProvisioning(
    ContextScopes scopes,
    UserManager<ApplicationUser> users,
    SystemEventWriter events,
    TimeProvider clock)
{
    public async Task<ProvisionedTenant> CreateAsync(NewTenant request, string actor, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var tenant = Tenant.Create(request.Name, request.Slug, request.Plan, now);
        if (request.Country is { } country)
        {
            tenant.SetLocale(country.TimeZone, country.Culture);
            tenant.SetDefaultRegion(country.Code);
        }
        if (request.TrialEndsAt is { } trialEnd) tenant.StartTrial(trialEnd);
        var email = request.OwnerEmail?.Trim() ?? "";
        if (!System.Net.Mail.MailAddress.TryCreate(email, out _))
            throw new DomainException("tenant.ownerEmail", "A valid owner e-mail is required.");

        var (owner, created) = await FindOrCreateOwnerAsync(email, request, now);

        await using var work = scopes.ForSystem("tenant provisioning");
        work.Db.Tenants.Add(tenant);
        // Every workspace starts with the default pipeline, named in its language; owners rename and reorder it later.
        work.Db.PipelineStages.AddRange(Domain.Revenue.PipelineStage.Defaults(tenant.Id, tenant.DefaultCulture));
        work.Db.TenantMembers.Add(TenantMember.Create(tenant.Id, owner.Id, TenantRole.Owner, now));
        work.Db.AuditEntries.Add(AuditEntry.Create(tenant.Id, null, actor, "tenant.create", nameof(Tenant), tenant.Id.ToString(),
            $"slug={tenant.Slug} plan={tenant.Plan}" + (request.SelfService ? $" signup country={tenant.DefaultRegion} trialEndsAt={tenant.TrialEndsAt:O}" : ""), now));
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            if (created) await users.DeleteAsync(owner);
            throw new ConflictException("tenant.slug_taken", $"The slug '{tenant.Slug}' is already taken.", tenant.Slug);
        }
        await events.WriteAsync(Severity.Info, "tenants", new TextRef("SystemEvent.TenantCreated", $"Tenant '{tenant.Slug}' created", tenant.Slug), tenant.Id, null, ct);
        return new ProvisionedTenant(tenant.Id, tenant.Slug, owner.Id, created);
    }

    private async Task<(ApplicationUser User, bool Created)> FindOrCreateOwnerAsync(string email, NewTenant request, DateTimeOffset now)
    {
        var (password, name) = (request.OwnerPassword, request.OwnerName);
        var existing = await users.FindByEmailAsync(email);
        if (existing is not null)
            return request.SelfService
                ? throw new ConflictException("signup.email_taken", "An account with this e-mail already exists.")
                : (existing, false);
        var user = new ApplicationUser
        {
            Id = Guid.CreateVersion7(now),
            UserName = email,
            Email = email,
            EmailConfirmed = !request.SelfService,
            Culture = request.OwnerCulture,
            DisplayName = string.IsNullOrWhiteSpace(name) ? email.Split('@')[0] : name.Trim(),
            CreatedAt = now,
        };
        // Without a password the owner sets one through "forgot password"; a random one keeps the account closed until then.
        var result = await users.CreateAsync(user, string.IsNullOrEmpty(password) ? RandomPassword() : password);
        // Two sign-ups with one e-mail at the same moment: the unique index on the normalized e-mail decides.
        if (!result.Succeeded && request.SelfService && result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.DuplicateEmail)))
            throw new ConflictException("signup.email_taken", "An account with this e-mail already exists.");
        if (!result.Succeeded)
            throw new DomainException("tenant.ownerPassword", string.Join(" ", result.Errors.Select(e => e.Description)),
                string.Join(" ", result.Errors.Select(e => e.Description)));
        return (user, true);
    }

    private static string RandomPassword() => "Aa1!" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
}
