using System.Globalization;
using System.Text;

namespace Strata.Bench;

/// <summary>
/// Writes a large <c>strata.yaml</c> and its image folders: tiers of servers sharing a pool of images, every tier
/// referring to the one before it, and a load balancer with a firewall rule in front of every tenth tier.
/// </summary>
internal static class SpecGenerator
{
    public const int Images = 50;

    public static string Write(string folder, int tiers, int serversPerTier)
    {
        Directory.CreateDirectory(folder);
        for (var i = 0; i < Images; i++)
        {
            var image = Path.Combine(folder, "images", Id("img", i));
            Directory.CreateDirectory(image);
            File.WriteAllText(Path.Combine(image, "app.py"), $"print('image {i}')\n" + new string('#', 4096));
            File.WriteAllText(Path.Combine(image, "run.sh"), $"exec python3 app.py {i}\n");
        }

        var path = Path.Combine(folder, "strata.yaml");
        File.WriteAllText(path, Yaml(tiers, serversPerTier));
        return path;
    }

    private static string Yaml(int tiers, int serversPerTier)
    {
        var yaml = new StringBuilder(tiers * 300);
        yaml.Append("deployment: bench\nparameters:\n  mode:\n    default: fast\nimages:\n");
        for (var i = 0; i < Images; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  {Id("img", i)}:\n    from: ./images/{Id("img", i)}\n    run: sh run.sh --bind ${{self.address}}:8000\n");
        }

        yaml.Append("tiers:\n");
        for (var i = 0; i < tiers; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture,
                $"  {Id("t", i)}:\n    image: {Id("img", i % Images)}\n    servers: {serversPerTier}\n    ports: {{ http: 8000 }}\n");
            yaml.Append("    health: { http: /healthz, interval: 2s }\n    env:\n      MODE: ${params.mode}\n");
            if (i > 0)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"      UPSTREAM: ${{tiers.{Id("t", i - 1)}.servers[0].address}}\n");
            }
        }

        yaml.Append("loadBalancers:\n");
        for (var i = 0; i < tiers; i += 10)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  {Id("lb", i)}:\n    listen: 127.0.0.1:{20000 + i}\n    to: {Id("t", i)}:http\n");
        }

        yaml.Append("firewall:\n");
        for (var i = 0; i < tiers; i += 10)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - any -> {Id("lb", i)}:{20000 + i}\n");
        }

        yaml.Append(CultureInfo.InvariantCulture, $"outputs:\n  first: ${{loadBalancers.{Id("lb", 0)}.url}}\n");
        return yaml.ToString();
    }

    private static string Id(string prefix, int i) => string.Create(CultureInfo.InvariantCulture, $"{prefix}{i:D4}");
}
