//! The command line of one BEAM instance.

use std::fmt;
use std::path::{Path, PathBuf};

use erts_port::{Profile, VmSettings};
use kos_manifest::{EnvEntry, EnvValue};

/// The Erlang launcher from Debian's `erlang-base`.
pub const ERL: &str = "erl";

/// Where Debian's `elixir` package keeps Elixir's own applications.
const ELIXIR_LIB: &str = "/usr/lib/elixir/lib";

/// Everything needed to start one BEAM app.
#[derive(Debug, Clone)]
pub struct BeamLaunch {
    /// The OTP application to start (`app` in the manifest).
    pub otp_app: String,
    /// `ebin` directories of the app and its dependencies.
    pub code_paths: Vec<PathBuf>,
    /// Emulator settings from the budget.
    pub vm: VmSettings,
    /// The app's compiled configuration (`sys.config`), if it has one.
    pub config: Option<PathBuf>,
    /// The manifest's `env` node: (key, value as an Erlang term's text).
    pub env: Vec<(String, String)>,
}

/// A compiled app was not where it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocateError {
    /// The OTP application.
    pub otp_app: String,
    /// Where it was looked for.
    pub looked_in: PathBuf,
}

impl fmt::Display for LocateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no compiled `{}` in {} (run `mix compile` in the app's project, or pass --beam-dir)",
            self.otp_app,
            self.looked_in.display()
        )
    }
}

impl std::error::Error for LocateError {}

/// Finds the compiled mix project `<beam_dir>/<otp_app>`: every `ebin` under its
/// `_build/<env>/lib` (the app and its dependencies), preferring the `prod` build.
pub fn locate_app(beam_dir: &Path, otp_app: &str) -> Result<Vec<PathBuf>, LocateError> {
    let project = beam_dir.join(otp_app);
    for env in ["prod", "dev"] {
        let lib = project.join("_build").join(env).join("lib");
        let own = lib
            .join(otp_app)
            .join("ebin")
            .join(format!("{otp_app}.app"));
        if !own.is_file() {
            continue;
        }
        return Ok(ebins_under(&lib));
    }
    Err(LocateError {
        otp_app: otp_app.to_string(),
        looked_in: project.join("_build"),
    })
}

/// The app's `sys.config` (`<beam_dir>/<otp_app>/sys.config`), if there is one: the
/// application environment its mix project's `config/config.exs` describes.
pub fn locate_config(beam_dir: &Path, otp_app: &str) -> Option<PathBuf> {
    let config = beam_dir.join(otp_app).join("sys.config");
    config.is_file().then_some(config)
}

impl BeamLaunch {
    /// A launch of `otp_app` from `code_paths` within `memory_mib`.
    pub fn new(otp_app: &str, code_paths: Vec<PathBuf>, memory_mib: u32, profile: Profile) -> Self {
        BeamLaunch {
            otp_app: otp_app.to_string(),
            code_paths,
            vm: VmSettings::derive(memory_mib, profile),
            config: None,
            env: Vec::new(),
        }
    }

    /// The same launch, setting the application environment from the app's `env`
    /// node (over `sys.config`, which holds the project's defaults).
    pub fn with_env(mut self, env: &[EnvEntry]) -> Self {
        self.env = env
            .iter()
            .map(|e| (e.key.clone(), erlang_term(&e.value)))
            .collect();
        self
    }

    /// The same launch, reading the application environment from `config` (a
    /// `sys.config`, as `mix kos.build` writes from the project's `config/config.exs`).
    pub fn with_config(mut self, config: Option<PathBuf>) -> Self {
        self.config = config;
        self
    }

    /// The arguments for `erl`.
    pub fn args(&self) -> Vec<String> {
        let mut args = self.vm.erl_args();
        // No shell, no stdin: the app's output is its log, and Ctrl-C belongs to _root.
        args.extend(["-noshell", "-noinput"].map(String::from));
        // All of Elixir's own applications (elixir, logger, eex, ex_unit, iex, mix):
        // an app may depend on any of them, and they load only when used.
        for ebin in ebins_under(Path::new(ELIXIR_LIB)) {
            args.push("-pa".into());
            args.push(ebin.display().to_string());
        }
        for path in &self.code_paths {
            args.push("-pa".into());
            args.push(path.display().to_string());
        }
        if let Some(config) = &self.config {
            args.push("-config".into());
            args.push(config.display().to_string());
        }
        // The application and its environment travel as data (init arguments), never
        // inside code; the start expression reads them.
        args.push(format!("-{APP_ARGUMENT}"));
        args.push(self.otp_app.clone());
        for (key, term) in &self.env {
            args.push(format!("-{ENV_ARGUMENT}"));
            args.push(key.clone());
            args.push(term.clone());
        }
        args.push("-eval".into());
        args.push(START_EXPRESSION.into());
        args
    }
}

/// The `ebin` directories of the applications in `lib` (`lib/<app>/ebin`), sorted.
fn ebins_under(lib: &Path) -> Vec<PathBuf> {
    let mut ebins: Vec<PathBuf> = std::fs::read_dir(lib)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("ebin"))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    ebins.sort();
    ebins
}

/// The init argument (`-kos_app NAME`) that names the application to start.
const APP_ARGUMENT: &str = "kos_app";

/// The init argument (`-kos_env KEY TERM`, once per key) that sets one key of the
/// application's environment. Not Erlang's own `-App Key Value`: an app named like an
/// emulator flag (`run`, `env`, `s`…) would turn that into a command.
const ENV_ARGUMENT: &str = "kos_env";

/// The line a VM writes to its standard error once its application has started: until
/// it comes, the root server holds the VM's output, so a failed start shows as one
/// line with its reason rather than the whole report (`kos-root`'s start gate).
pub const STARTED_MARKER: &str = started_marker!();

macro_rules! started_marker {
    () => {
        "kos-beam-host: application started"
    };
}
use started_marker;

/// Loads the application `-kos_app` names, sets each `-kos_env` key (the value parsed
/// as a term, never evaluated), and starts it as permanent: if it ever stops, the VM
/// stops, and the root server sees the exit. A start failure ends the VM with status 2
/// and says why; a start says so with [`STARTED_MARKER`]. The expression is constant:
/// names and values are data it reads, so no manifest string is ever evaluated as
/// code.
const START_EXPRESSION: &str = concat!(
    "{ok, [[App]]} = init:get_argument(kos_app), \
     A = list_to_atom(App), \
     _ = application:load(A), \
     Env = case init:get_argument(kos_env) of {ok, E} -> E; error -> [] end, \
     [begin {ok, T, _} = erl_scan:string(V ++ \".\"), {ok, Term} = erl_parse:parse_term(T), \
     ok = application:set_env(A, list_to_atom(K), Term, [{persistent, true}]) end || [K, V] <- Env], \
     case application:ensure_all_started(A, permanent) of \
     {ok, _} -> io:format(standard_error, \"",
    started_marker!(),
    "~n\", []); \
     {error, Reason} -> io:format(standard_error, \"cannot start ~s: ~p~n\", [App, Reason]), erlang:halt(2) \
     end."
);

/// An `env` value as the text of an Erlang term: integers as numbers, text as
/// binaries of their bytes (`<<103,97>>`, so no quoting or escaping can go wrong),
/// several values as a list. The text has no spaces: it is one init argument.
fn erlang_term(value: &EnvValue) -> String {
    fn binary(text: &str) -> String {
        let bytes: Vec<String> = text.bytes().map(|b| b.to_string()).collect();
        format!("<<{}>>", bytes.join(","))
    }
    fn list(items: Vec<String>) -> String {
        format!("[{}]", items.join(","))
    }
    match value {
        EnvValue::Integer(n) => n.to_string(),
        EnvValue::Integers(ns) => list(ns.iter().map(u32::to_string).collect()),
        EnvValue::Text(t) => binary(t),
        EnvValue::Texts(ts) => list(ts.iter().map(|t| binary(t)).collect()),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn finds_the_app_and_its_dependencies_in_the_mix_build() {
        let dir = tempfile::tempdir().unwrap();
        for app in ["demo", "dep"] {
            let ebin = dir
                .path()
                .join("demo/_build/dev/lib")
                .join(app)
                .join("ebin");
            std::fs::create_dir_all(&ebin).unwrap();
            std::fs::write(ebin.join(format!("{app}.app")), "").unwrap();
        }
        let paths = locate_app(dir.path(), "demo").unwrap();
        assert_eq!(paths.len(), 2);
        assert_eq!(locate_config(dir.path(), "demo"), None);
        std::fs::write(dir.path().join("demo/sys.config"), "[].").unwrap();
        assert_eq!(
            locate_config(dir.path(), "demo"),
            Some(dir.path().join("demo/sys.config"))
        );
        assert!(paths.iter().all(|p| p.ends_with("ebin")));
        let missing = locate_app(dir.path(), "other").unwrap_err();
        assert!(missing.to_string().contains("no compiled `other`"));
    }

    #[test]
    fn the_command_line_starts_the_app_without_shell_or_distribution() {
        let launch = BeamLaunch::new(
            "demo",
            vec![PathBuf::from("/x/ebin")],
            32,
            Profile::Embedded,
        );
        let args = launch.args();
        assert!(args.contains(&"-noshell".to_string()));
        assert!(
            !args.iter().any(|a| a == "-sname" || a == "-name"),
            "no distribution, no epmd"
        );
        let eval = args.last().unwrap();
        assert_eq!(eval, START_EXPRESSION, "the same code for every app");
        assert!(!eval.contains("demo"));
        assert!(args
            .windows(2)
            .any(|w| w[0] == format!("-{APP_ARGUMENT}") && w[1] == "demo"));
        assert!(START_EXPRESSION.contains(&format!("init:get_argument({APP_ARGUMENT})")));
        assert!(args.windows(2).any(|w| w[0] == "-pa" && w[1] == "/x/ebin"));
        assert!(
            !args.contains(&"-config".to_string()),
            "no config unless there is one"
        );
        let with = launch
            .clone()
            .with_config(Some(PathBuf::from("/img/app/sys.config")));
        let args = with.args();
        let at = args.iter().position(|a| a == "-config").expect("-config");
        assert_eq!(args[at + 1], "/img/app/sys.config");
        assert!(
            at < args.iter().position(|a| a == "-eval").unwrap(),
            "before the start"
        );
    }

    #[test]
    fn env_values_are_terms_passed_as_data() {
        let entry = |key: &str, value| EnvEntry {
            key: key.into(),
            value,
        };
        let launch = BeamLaunch::new("demo", vec![], 32, Profile::Embedded).with_env(&[
            entry("interval_ms", EnvValue::Integer(5000)),
            entry("label", EnvValue::Text("a \"b\"\n".into())),
            entry("pair", EnvValue::Integers(vec![1, 2])),
            entry("names", EnvValue::Texts(vec!["x".into(), "é".into()])),
        ]);
        let args = launch.args();
        let set: Vec<(&str, &str)> = args
            .windows(3)
            .filter(|w| w[0] == format!("-{ENV_ARGUMENT}"))
            .map(|w| (w[1].as_str(), w[2].as_str()))
            .collect();
        assert_eq!(
            set,
            [
                ("interval_ms", "5000"),
                ("label", "<<97,32,34,98,34,10>>"),
                ("pair", "[1,2]"),
                ("names", "[<<120>>,<<195,169>>]"),
            ]
        );
        assert!(set.iter().all(|(_, v)| !v.contains(' ')));
        assert_eq!(args.last().unwrap(), START_EXPRESSION);
    }
}
