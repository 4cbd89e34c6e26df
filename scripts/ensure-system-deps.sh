#!/usr/bin/env bash
# Installs the system tools clipmatch runs (ffmpeg/ffprobe, a font for labels, yt-dlp for page links) from
# Debian when missing. Used by `npm run demo` and by CI; safe to run again. With --bench, also what the beat
# benchmark renders its songs with (fluidsynth, the GM soundfont, and Debian's game music shipped as MIDI:
# OpenTTD's OpenMSX, Planet Blupi, Freedoom, PianoBooster, Simutrans and FreeDink for the tune set; Frets on
# Fire's songs, LMMS and Hydrogen with their demo songs for the held-out set the tracker is never tuned on).
set -euo pipefail
missing=()
if [ "${1:-}" = "--bench" ]; then
  command -v fluidsynth >/dev/null 2>&1 || missing+=(fluidsynth)
  [ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || missing+=(fluid-soundfont-gm)
  [ -d /usr/share/games/openttd/baseset/openmsx ] || missing+=(openttd-openmsx)
  [ -d /usr/share/planetblupi/music ] || missing+=(planetblupi-music-midi)
  [ -f /usr/share/games/doom/freedoom2.wad ] || missing+=(freedoom)
  [ -f /usr/share/games/pianobooster/music/BoosterMusicBooks.zip ] || missing+=(pianobooster)
  [ -d /usr/share/games/simutrans/music ] || missing+=(simutrans-data)
  [ -d /usr/share/games/dink/dink/Sound ] || missing+=(freedink-data)
  # the held-out set of real audio: Frets on Fire recordings and charts, LMMS and Hydrogen demo songs
  [ -d /usr/share/games/fretsonfire/data/songs/muldjord ] || missing+=(fretsonfire-songs-muldjord)
  [ -d /usr/share/games/fretsonfire/data/songs/sectoid ] || missing+=(fretsonfire-songs-sectoid)
  command -v lmms >/dev/null 2>&1 || missing+=(lmms)
  [ -d /usr/share/lmms/projects/demos ] || missing+=(lmms-common)
  command -v h2cli >/dev/null 2>&1 || missing+=(hydrogen)
  [ -d /usr/share/hydrogen/data/demo_songs ] || missing+=(hydrogen-data)
fi
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# page links (YouTube...) on workers, and the test that routes it through the egress proxy
command -v yt-dlp >/dev/null 2>&1 || missing+=(yt-dlp)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "clipmatch needs: ${missing[*]} (install ffmpeg with your system's package manager)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "clipmatch needs: ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
echo "installing ${missing[*]} from Debian..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
