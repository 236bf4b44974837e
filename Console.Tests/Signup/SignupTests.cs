using System.Net;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Tests.Security;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Signup;

/// <summary>Self-service sign-up over real HTTP: e-mail confirmation, trial workspace, and the bot defences.</summary>
public class SignupTests(SignupAppFactory app) : IClassFixture<SignupAppFactory>
{
    private static async Task<string> HtmlAsync(HttpResponseMessage r) => WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync());

    private async Task<bool> UserExistsAsync(string email)
    {
        await using var work = app.Scopes.ForSystem("test");
        return await work.Db.Users.AnyAsync(u => u.NormalizedEmail == email.ToUpperInvariant());
    }

    private async Task<Tenant?> TenantNamedAsync(string name)
    {
        await using var work = app.Scopes.ForSystem("test");
        return await work.Db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Name == name);
    }

    [Fact]
    public async Task A_new_owner_follows_the_mailed_link_and_lands_signed_in_on_a_trial_workspace_set_up_for_their_country()
    {
        var client = SignupForms.NewClient(app);
        var business = "Clínica Sonrisa " + TestData.Unique("b");
        var email = $"{TestData.Unique("owner")}@signup.test";

        var registered = await SignupForms.RegisterAsync(client, business, email, country: "CO");
        Assert.Equal(HttpStatusCode.Redirect, registered.StatusCode);
        Assert.Equal("/Account/RegisterConfirmation", registered.Headers.Location?.AbsolutePath);

        var mail = Assert.Single(await SignupForms.MailsToAsync(app, email));
        Assert.Equal("Confirma tu cuenta de Console", mail.Subject);
        var link = SignupForms.Link(mail.HtmlBody);
        Assert.StartsWith(SecurityAppFactory.PublicBaseUrl + "/Account/ConfirmEmail?", link);

        // Before the link: the right password is refused with the reason and a way to get the link again.
        var early = await client.LoginAsync(email, SignupForms.Password);
        Assert.Equal(HttpStatusCode.OK, early.StatusCode);
        var earlyHtml = await HtmlAsync(early);
        Assert.Contains("Primero confirma tu correo", earlyHtml);
        Assert.Contains("Account/ResendConfirmation?email=", earlyHtml);
        Assert.Equal(HttpStatusCode.Redirect, (await client.Http.GetAsync("/inbox")).StatusCode); // still signed out
        // A wrong password learns nothing about the account's state.
        var guess = await HtmlAsync(await SignupForms.NewClient(app).LoginAsync(email, "Wrong!Pass999"));
        Assert.DoesNotContain("Primero confirma tu correo", guess);
        Assert.Contains("Correo o contraseña incorrectos", guess);

        var confirmed = await client.Http.GetAsync(new Uri(link).PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        Assert.Equal("/", confirmed.Headers.Location?.AbsolutePath);
        var home = await client.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("onboarding-checklist", await home.Content.ReadAsStringAsync());

        var tenant = await TenantNamedAsync(business);
        Assert.NotNull(tenant);
        Assert.Equal(Plan.Starter, tenant.Plan);
        Assert.StartsWith("clinica-sonrisa-b-", tenant.Slug);
        Assert.Equal(("America/Bogota", "es", "CO"), (tenant.TimeZone, tenant.DefaultCulture, tenant.DefaultRegion));
        Assert.NotNull(tenant.TrialEndsAt);
        Assert.InRange(tenant.TrialEndsAt.Value - tenant.CreatedAt, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        Assert.Equal(7, tenant.TrialDaysLeft(DateTimeOffset.UtcNow));

        // The link opens the workspace once: clicked again it only leads to the sign-in page.
        var again = await SignupForms.NewClient(app).Http.GetAsync(new Uri(link).PathAndQuery);
        Assert.Equal("/Account/Login", again.Headers.Location?.AbsolutePath);
    }

    [Fact]
    public async Task A_business_from_the_United_States_gets_an_English_workspace_and_a_second_one_with_the_same_name_another_slug()
    {
        var business = "Tacos " + TestData.Unique("us");
        var first = $"{TestData.Unique("a")}@signup.test";
        Assert.Equal(HttpStatusCode.Redirect, (await SignupForms.RegisterAsync(SignupForms.NewClient(app), business, first, "US")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignupForms.RegisterAsync(SignupForms.NewClient(app), business, $"{TestData.Unique("b")}@signup.test", "MX")).StatusCode);

        await using var work = app.Scopes.ForSystem("test");
        var tenants = await work.Db.Tenants.AsNoTracking().Where(t => t.Name == business).OrderBy(t => t.CreatedAt).ToListAsync();
        Assert.Equal(2, tenants.Count);
        Assert.NotEqual(tenants[0].Slug, tenants[1].Slug);
        Assert.Equal(("America/New_York", "en", "US"), (tenants[0].TimeZone, tenants[0].DefaultCulture, tenants[0].DefaultRegion));
    }

    [Fact]
    public async Task A_filled_honeypot_answers_like_a_sign_up_and_creates_nothing()
    {
        var client = SignupForms.NewClient(app);
        var business = "Bot " + TestData.Unique("h");
        var email = $"{TestData.Unique("bot")}@signup.test";
        var page = await SignupForms.OpenAsync(client);

        var answer = await SignupForms.PostAsync(client, page, SignupForms.Solve(page), business, email, website: "http://spam.example");

        Assert.Equal("/Account/RegisterConfirmation", answer.Headers.Location?.AbsolutePath);
        Assert.False(await UserExistsAsync(email));
        Assert.Null(await TenantNamedAsync(business));
        Assert.Empty(await SignupForms.MailsToAsync(app, email));
    }

    [Fact]
    public async Task A_missing_wrong_forged_or_replayed_proof_of_work_creates_nothing()
    {
        var client = SignupForms.NewClient(app);
        var page = await SignupForms.OpenAsync(client);
        var solution = SignupForms.Solve(page);
        var wrong = Enumerable.Range(0, 10_000).Select(n => n.ToString())
            .First(n => !OperatorConsole.App.Auth.SignupProofOfWork.Meets(page.Challenge, n, page.Bits));
        var forged = page with { Challenge = page.Challenge[..^4] + "AAAA" };

        foreach (var (attempt, answer) in new[] { (page, (string?)null), (page, wrong), (forged, SignupForms.Solve(forged)) })
        {
            var email = $"{TestData.Unique("pow")}@signup.test";
            var refused = await SignupForms.PostAsync(client, attempt, answer, "Pow " + TestData.Unique("p"), email);
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains("El formulario venció o no se pudo comprobar", await HtmlAsync(refused));
            Assert.False(await UserExistsAsync(email));
        }

        var first = $"{TestData.Unique("pow")}@signup.test";
        Assert.Equal(HttpStatusCode.Redirect, (await SignupForms.PostAsync(client, page, solution, "Pow " + TestData.Unique("p"), first)).StatusCode);
        Assert.True(await UserExistsAsync(first));
        var replayEmail = $"{TestData.Unique("pow")}@signup.test";
        var replay = await SignupForms.PostAsync(client, page, solution, "Pow " + TestData.Unique("p"), replayEmail);
        Assert.Contains("El formulario venció o no se pudo comprobar", await HtmlAsync(replay));
        Assert.False(await UserExistsAsync(replayEmail));
    }

    [Fact]
    public async Task Signing_up_with_an_existing_email_answers_the_same_creates_nothing_and_tells_the_owner()
    {
        var existing = await app.TenantAsync(password: "Old!Pass123");
        var email = $"{existing.Slug}@owner.test";
        var business = "Copia " + TestData.Unique("c");
        var fresh = $"{TestData.Unique("new")}@signup.test";

        var taken = await SignupForms.RegisterAsync(SignupForms.NewClient(app), business, email);
        var free = await SignupForms.RegisterAsync(SignupForms.NewClient(app), "Otro " + TestData.Unique("c"), fresh);

        Assert.Equal(free.StatusCode, taken.StatusCode);
        Assert.Equal(free.Headers.Location?.AbsolutePath, taken.Headers.Location?.AbsolutePath);
        Assert.Null(await TenantNamedAsync(business));
        var warning = Assert.Single(await SignupForms.MailsToAsync(app, email));
        Assert.Contains("Alguien intentó crear una cuenta", warning.Subject);
        Assert.DoesNotContain("ConfirmEmail", warning.HtmlBody);
        // The existing owner's password is untouched.
        Assert.Equal(HttpStatusCode.Redirect, (await SignupForms.NewClient(app).LoginAsync(email, "Old!Pass123")).StatusCode);
    }

    [Fact]
    public async Task An_unconfirmed_owner_can_ask_for_the_link_again()
    {
        var client = SignupForms.NewClient(app);
        var email = $"{TestData.Unique("again")}@signup.test";
        await SignupForms.RegisterAsync(client, "Otra vez " + TestData.Unique("r"), email);

        var resent = await SignupForms.NewClient(app).PostFormAsync("/Account/ResendConfirmation", "resend-confirmation",
            new Dictionary<string, string> { ["Input.Email"] = email });
        Assert.Contains("ya va en camino un nuevo enlace", await HtmlAsync(resent));

        var mails = await SignupForms.MailsToAsync(app, email);
        Assert.Equal(2, mails.Count);
        var link = SignupForms.Link(mails[^1].HtmlBody);
        Assert.Equal("/", (await client.Http.GetAsync(new Uri(link).PathAndQuery)).Headers.Location?.AbsolutePath);
    }

    [Fact]
    public async Task Too_many_sign_ups_from_one_address_answer_429()
    {
        var client = SignupForms.NewClient(app);
        HttpResponseMessage? limited = null;
        // Budget 5 per hour: the sixth post from the same address is refused before the form is even read.
        for (var i = 0; i < 6; i++)
        {
            var page = await SignupForms.OpenAsync(client);
            var answer = await SignupForms.PostAsync(client, page, null, "Spam " + TestData.Unique("s"), $"{TestData.Unique("s")}@signup.test");
            if (answer.StatusCode == HttpStatusCode.TooManyRequests) limited = answer;
        }
        Assert.NotNull(limited);
        Assert.Contains("Demasiados intentos", await HtmlAsync(limited));
        // Another address still signs up.
        Assert.Equal(HttpStatusCode.Redirect,
            (await SignupForms.RegisterAsync(SignupForms.NewClient(app), "Legit " + TestData.Unique("l"), $"{TestData.Unique("l")}@signup.test")).StatusCode);
    }
}
