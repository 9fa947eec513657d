# ssockets.bash — bash completion for the ssockets command: its commands,
# each command's options, and files where a file is wanted (key files first:
# *.key and *.pem for --key, --test-ephemeral, genkey, pubkey and
# convert-key; *.pub and *.pem for --peer; any file for --allow).
# Installed by `make install` into share/bash-completion/completions, where
# bash-completion loads it on first use; or, by hand:
#   . completion/ssockets.bash
# tests/test_man.sh checks it against `ssockets --help`.

_ssockets_files() # EXTENSION...: files with one of these extensions, and
{                 # directories; with none of them there, any file
    local IFS=$'\n' ext
    COMPREPLY=($(compgen -d -- "$cur"))
    for ext in "$@"; do
        COMPREPLY+=($(compgen -f -X "!*.$ext" -- "$cur"))
    done
    [ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur"))
}

_ssockets()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="listen connect genkey pubkey convert-key version"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case $prev in
    --key | --test-ephemeral) _ssockets_files key pem; return ;;
    --peer) _ssockets_files pub pem; return ;;
    --allow | --test-kem) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --timeout) COMPREPLY=(); return ;;
    esac
    local options
    case ${COMP_WORDS[1]} in
    listen) options="--key --peer --allow --hybrid-only --timeout --fingerprint --trace --plain
                     --test-ephemeral --test-kem --help" ;;
    connect) options="--key --peer --hybrid --classic --timeout --fingerprint --trace --plain
                      --test-ephemeral --test-kem --help" ;;
    genkey) options="--force --pem --help" ;;
    pubkey | convert-key | version) options="--help" ;;
    *) return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    else
        case ${COMP_WORDS[1]} in
        genkey | pubkey | convert-key) _ssockets_files key pem ;;
        esac
    fi
}
complete -F _ssockets ssockets
