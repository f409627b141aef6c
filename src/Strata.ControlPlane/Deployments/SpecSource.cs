using Strata.Api.Contracts;
using Strata.ControlPlane.State;
using Strata.Planning.Images;
using Strata.Spec.Diagnostics;
using Strata.Spec.Loading;
using Strata.Spec.Model;
using Strata.Spec.Parameters;

namespace Strata.ControlPlane.Deployments;

/// <summary>Loads a spec file with its parameters into a <see cref="DesiredDeployment"/>, or says everything wrong with it.</summary>
public static class SpecSource
{
    public static DesiredDeployment Load(string specPath, IReadOnlyDictionary<string, string> parameters)
    {
        var path = Path.GetFullPath(specPath);
        if (!File.Exists(path))
        {
            throw new InvalidSpecException([$"{specPath}: error: the spec file does not exist"]);
        }

        var text = File.ReadAllText(path);
        return Parse(text, path, parameters);
    }

    /// <summary>A spec applied earlier, with the image digests it had then (its folders may have changed since).</summary>
    public static DesiredDeployment Restore(AppliedInput input) => Parse(input.SpecText, input.SpecPath, input.Parameters, input.ImageDigests);

    public static DesiredDeployment Parse(
        string text, string path, IReadOnlyDictionary<string, string> parameters, IReadOnlyDictionary<string, string>? knownDigests = null)
    {
        var values = parameters.Aggregate(ParameterValues.Empty, (v, p) => v.With(p.Key, p.Value));
        var result = SpecLoader.Parse(text, path, values);
        if (!result.Success || result.Spec is null)
        {
            throw new InvalidSpecException([.. result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString())]);
        }

        var spec = result.Spec;
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var image in spec.Images)
        {
            if (knownDigests is not null && knownDigests.TryGetValue(image.Name, out var known))
            {
                digests[image.Name] = known;
                continue;
            }

            var folder = Path.GetFullPath(Path.Combine(spec.BaseDirectory, image.From));
            if (!Directory.Exists(folder))
            {
                problems.Add($"{image.Location}: error: image '{image.Name}': the folder '{image.From}' does not exist ({folder})");
                continue;
            }

            digests[image.Name] = ImageDigest.Compute(folder);
        }

        if (problems.Count > 0)
        {
            throw new InvalidSpecException(problems);
        }

        return new DesiredDeployment
        {
            Spec = spec,
            SpecPath = path,
            SpecText = text,
            Parameters = new Dictionary<string, string>(parameters, StringComparer.Ordinal),
            ImageDigests = digests,
        };
    }

    /// <summary>The folder of an image, resolved against the spec file.</summary>
    public static string ImageFolder(DeploymentSpec spec, ImageSpec image) => Path.GetFullPath(Path.Combine(spec.BaseDirectory, image.From));
}
