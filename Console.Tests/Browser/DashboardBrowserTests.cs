using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Reporting;
using OperatorConsole.Tests.Inbox;
using OperatorConsole.Tests.Support;
using Xunit.Abstractions;
using static OperatorConsole.Tests.Reporting.DashboardTestData;

namespace OperatorConsole.Tests.Browser;

/// <summary>
/// The owner's home in a real browser: an owner lands on / and reads the figures and charts in Spanish, the period switch
/// (kept in the address) changes them, a brand-new workspace says there is nothing yet, and an agent still lands on the inbox.
/// </summary>
public class DashboardBrowserTests(BrowserAppFactory app, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private const string Password = "Home!2345";

    private async Task<IPage> SignInAsync(string email, string locale = "es-MX", int width = 1366, int height = 800)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        var es = locale.StartsWith("es");
        // No return address: where a person lands after signing in is what is tested.
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel(es ? "Correo electrónico" : "E-mail").FillAsync(email);
        await page.GetByLabel(es ? "Contraseña" : "Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = es ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login"));
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    /// <summary>
    /// A zone where it is now between 03:00 and 21:00, so "today" holds everything the test writes in the last two hours
    /// whatever the hour the suite runs at.
    /// </summary>
    private static string DaytimeZone()
    {
        foreach (var id in new[] { "America/Mexico_City", "Asia/Tokyo", "Europe/Madrid" })
            if (TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(id)).Hour is >= 3 and < 21) return id;
        return "Pacific/Auckland";
    }

    /// <summary>A workspace in a daytime zone with an owner who speaks <paramref name="language"/>.</summary>
    private async Task<(Guid TenantId, string Email)> WorkspaceAsync(string language)
    {
        var tenant = await app.TenantAsync();
        var owner = await app.MemberAsync(tenant.Id, language == "es" ? "Olivia Dueñas" : "Olivia Owner", TenantRole.Owner, Password, language);
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            (await work.Db.Tenants.SingleAsync(t => t.Id == tenant.Id)).SetLocale(DaytimeZone(), language);
            await work.Db.SaveChangesAsync();
        }
        return (tenant.Id, await app.EmailOfAsync(tenant.Id, owner.MemberId!.Value));
    }

    private async Task SaveAsync(Guid tenantId, List<object> rows)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        foreach (var row in rows) work.Db.Add(row);
        await work.Db.SaveChangesAsync();
    }

    [Fact]
    public async Task An_owner_lands_on_the_home_and_reads_figures_and_charts_in_Spanish_and_the_period_switch_changes_them()
    {
        var (tenantId, email) = await WorkspaceAsync("es");
        var channel = await app.ChannelAsync(tenantId);
        var now = DateTimeOffset.UtcNow;
        var rows = new List<object>();
        // Today: one answered by the bot in 20 s, one by a person in 60 s after a keyword handoff. Three days ago: one more.
        Converse(rows, tenantId, channel, "Hoy Bot", now.AddMinutes(-50), (20, MessageSender.Bot));
        var (_, handed) = Converse(rows, tenantId, channel, "Hoy Persona", now.AddMinutes(-40), (60, MessageSender.Agent));
        rows.Add(Event(handed, ConversationEventType.HandedOff, now.AddMinutes(-40).AddSeconds(5), HandoffReason.Keyword));
        Converse(rows, tenantId, channel, "Hace Tres Días", now.AddDays(-3), (30, MessageSender.Bot));
        await SaveAsync(tenantId, rows);

        var page = await SignInAsync(email);

        Assert.Equal("/", new Uri(page.Url).AbsolutePath);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Inicio", Level = 1 })).ToBeVisibleAsync();
        var dashboard = page.GetByTestId("dashboard");
        // The default is the last 7 days.
        await Assertions.Expect(dashboard).ToHaveAttributeAsync("data-period", "7d");
        await Assertions.Expect(page.GetByTestId("kpi-conversations")).ToHaveTextAsync("3");
        await Assertions.Expect(page.GetByTestId("kpi-by-bot")).ToContainTextAsync("2 Atendidas solo por el bot");
        await Assertions.Expect(page.GetByTestId("kpi-by-human")).ToContainTextAsync("1 Atendidas por una persona");
        await Assertions.Expect(page.GetByTestId("kpi-first-response")).ToHaveTextAsync("30 s");
        await Assertions.Expect(page.GetByTestId("card-first-response")).ToContainTextAsync("Mediana de primera respuesta");
        await Assertions.Expect(page.GetByTestId("chart-conversations").Locator("svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("chart-conversations")).ToContainTextAsync("Conversaciones por día");
        await Assertions.Expect(page.GetByTestId("chart-handoffs").Locator("svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("handoff-Keyword")).ToContainTextAsync("Palabra clave");
        await Assertions.Expect(page.GetByTestId("handoff-Keyword")).ToHaveAttributeAsync("data-count", "1");
        await Assertions.Expect(page.GetByTestId("chart-leads").Locator("svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("stage-count").First).ToHaveAttributeAsync("data-count", "3");
        await Assertions.Expect(page.GetByTestId("temperature-Warm")).ToContainTextAsync("Tibio: 3");

        await page.GetByRole(AriaRole.Button, new() { Name = "Hoy", Exact = true }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/\?period=today$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Hoy", Exact = true })).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(dashboard).ToHaveAttributeAsync("data-period", "today");
        await Assertions.Expect(page.GetByTestId("kpi-conversations")).ToHaveTextAsync("2");
        // 20 s and 60 s: the median of two is their mean.
        await Assertions.Expect(page.GetByTestId("kpi-first-response")).ToHaveTextAsync("40 s");
        await Assertions.Expect(page.GetByTestId("kpi-bot-share")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^50\s?%$"));

        // Back returns to the previous period; the address alone opens a period.
        await page.GetByRole(AriaRole.Button, new() { Name = "Últimos 30 días", Exact = true }).ClickAsync();
        await Assertions.Expect(dashboard).ToHaveAttributeAsync("data-period", "30d");
        await Assertions.Expect(page.GetByTestId("kpi-conversations")).ToHaveTextAsync("3");
        await page.GoBackAsync();
        await Assertions.Expect(dashboard).ToHaveAttributeAsync("data-period", "today");
        await Assertions.Expect(page.GetByTestId("kpi-conversations")).ToHaveTextAsync("2");
        await page.GotoAsync("/?period=30d");
        await Assertions.Expect(page.GetByTestId("dashboard")).ToHaveAttributeAsync("data-period", "30d");
        await Assertions.Expect(page.GetByTestId("kpi-conversations")).ToHaveTextAsync("3");
    }

    [Fact]
    public async Task A_brand_new_workspace_says_there_is_nothing_yet_and_points_to_the_simulator_and_channels()
    {
        var (_, email) = await WorkspaceAsync("es");

        var page = await SignInAsync(email);

        var empty = page.GetByTestId("dashboard-empty");
        await Assertions.Expect(empty).ToContainTextAsync("Aún no hay conversaciones");
        await Assertions.Expect(empty.GetByRole(AriaRole.Link, new() { Name = "Abrir el simulador" })).ToHaveAttributeAsync("href", "simulator");
        await Assertions.Expect(empty.GetByRole(AriaRole.Link, new() { Name = "Conectar un canal" })).ToHaveAttributeAsync("href", "channels");
        await Assertions.Expect(page.Locator(".mud-chart")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_agent_still_lands_on_the_inbox()
    {
        var (tenantId, _) = await WorkspaceAsync("es");
        var agent = await app.MemberAsync(tenantId, "Andrés Agente", TenantRole.Agent, Password, "es");

        var page = await SignInAsync(await app.EmailOfAsync(tenantId, agent.MemberId!.Value));

        await page.WaitForURLAsync("**/inbox");
        await Assertions.Expect(page.GetByTestId("dashboard")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_demo_workspace_dashboard_reads_in_one_batch_quickly()
    {
        Guid demo;
        await using (var work = app.Scopes.ForSystem("test"))
            demo = await work.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        var queries = app.Services.GetRequiredService<DashboardQueries>();
        await queries.SummaryAsync(demo, DashboardPeriod.Month); // warm: first use compiles the model's queries

        var best = new List<double>();
        foreach (var period in Enum.GetValues<DashboardPeriod>())
        {
            // The best of five: the machine's two cores are shared, and the figure of interest is the queries' own cost.
            var times = new List<double>();
            DashboardSummary? s = null;
            for (var i = 0; i < 5; i++)
            {
                var watch = Stopwatch.StartNew();
                s = await queries.SummaryAsync(demo, period);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            best.Add(times[0]);
            output.WriteLine($"demo {period}: {s!.Conversations} conversations, {s.Leads} leads, best {times[0]:0.0} ms, median {times[2]:0.0} ms");
            Assert.True(s.HasConversations);
        }
        // Generous for two shared cores; the figures printed above are what docs quote.
        Assert.All(best, t => Assert.True(t < 1_000, $"{t:0} ms"));
    }

    [Trait("Category", "Screenshots")]
    [Theory]
    [InlineData("es-MX", "es", 1366, 800)]
    [InlineData("en-US", "en", 1366, 800)]
    [InlineData("es-MX", "es", 390, 844)]
    public async Task Screenshot_of_the_home_with_a_week_of_activity(string locale, string language, int width, int height)
    {
        var (tenantId, email) = await WorkspaceAsync(language);
        var channel = await app.ChannelAsync(tenantId);
        var now = DateTimeOffset.UtcNow;
        var rows = new List<object>();
        var contacts = new List<OperatorConsole.Domain.Contacts.Contact>();
        string[] names = ["Ana", "Beto", "Carla", "Darío", "Elena", "Fabio", "Gina", "Hugo", "Inés", "Jorge", "Karla", "Luis"];
        var reasons = new[] { HandoffReason.Keyword, HandoffReason.UserRequested, HandoffReason.AgentError, HandoffReason.MessageCountLimit, HandoffReason.UserRequested };
        var n = 0;
        for (var day = 6; day >= 0; day--)
        {
            for (var i = 0; i < 3 + (day * 5 % 4); i++, n++)
            {
                var at = now.AddDays(-day).AddMinutes(-(15 + 9 * i));
                (int, MessageSender)[] replies = (n % 5) switch
                {
                    0 or 1 or 3 => [(8 + n % 7 * 6, MessageSender.Bot)],
                    2 => [(5, MessageSender.Bot), (240 + n * 3, MessageSender.Agent)],
                    _ => day == 0 ? [] : [(400, MessageSender.Agent)],
                };
                var (contact, conversation) = Converse(rows, tenantId, channel, $"{names[n % names.Length]} {n}", at, replies);
                contacts.Add(contact);
                if (n % 4 == 1) rows.Add(Event(conversation, ConversationEventType.HandedOff, at.AddSeconds(3), reasons[n % reasons.Length]));
                if (n % 9 == 4) rows.Add(Event(conversation, ConversationEventType.TakenOver, at.AddSeconds(4)));
            }
        }
        await using (var work = app.Scopes.ForTenant(tenantId))
        {
            var stages = await work.Db.PipelineStages.OrderBy(s => s.Position).ToListAsync();
            for (var i = 0; i < contacts.Count; i++)
            {
                if (i % 3 == 1) contacts[i].MoveTo(stages[Math.Min(1 + i % 4, stages.Count - 1)].Id);
                contacts[i].SetScore(i % 4 == 0 ? 85 : i % 4 == 1 ? 30 : 55, "demo", now);
            }
            var chair = BookableResource.Create(tenantId, "Sillón", false, 0, 30, now);
            work.Db.Add(chair);
            await work.Db.SaveChangesAsync(); // before the bookings that name it
            var resource = chair.Id;
            for (var i = 0; i < 4; i++)
            {
                var booking = Appointment.Book(tenantId, contacts[i].Id, resource, null, new DateTimeOffset(now.UtcDateTime.Date.AddDays(1 + i).AddHours(15 + i), TimeSpan.Zero), TimeSpan.FromMinutes(30),
                    contacts[i].Name, null, null, now);
                if (i % 2 == 0) booking.Confirm("demo", now);
                rows.Add(booking);
            }
            // Two that already took place this week: one attended, one the customer missed.
            for (var i = 0; i < 2; i++)
            {
                var start = now.AddDays(-2 - i).AddHours(-1);
                var past = Appointment.Book(tenantId, contacts[4 + i].Id, resource, null, start, TimeSpan.FromMinutes(30), contacts[4 + i].Name, null, null, start.AddDays(-1));
                if (i == 0) past.Complete("demo", now); else past.MarkNoShow("demo", now);
                rows.Add(past);
            }
            for (var i = 0; i < 6; i++)
            {
                var link = PaymentLink.Create(tenantId, contacts[i].Id, null, "Limpieza dental", 650m + i * 150m, "MXN", now.AddDays(-i).AddMinutes(-30));
                if (i != 3) link.MarkPaid(650m + i * 150m, "MXN", now.AddDays(-i).AddMinutes(-20));
                rows.Add(link);
            }
            foreach (var row in rows) work.Db.Add(row);
            await work.Db.SaveChangesAsync();
        }

        var page = await SignInAsync(email, locale, width, height);

        await Assertions.Expect(page.GetByTestId("chart-conversations").Locator("svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("kpi-conversations")).ToHaveTextAsync(n.ToString());
        var device = width < 600 ? "phone" : "desktop";
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"home-{device}-{language}.png"), FullPage = true });
    }
}
