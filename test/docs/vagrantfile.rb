# Evaluates a Vagrantfile the way Vagrant does (Vagrant.configure("2") { |config| … }, provider
# blocks with their override), with a recording stand-in for Vagrant's config objects, and prints
# the configuration as JSON: one entry per provider (the common settings, then that provider's
# block and override applied). Vagrant itself cannot run on the test machines (no VirtualBox, no
# box downloads); this catches Ruby errors, unknown shapes and settings that contradict the guide.
#   ruby test/docs/vagrantfile.rb Vagrantfile
require "json"

# Any setting: `x.y = v` records it, `x.y` reads it (or a nested recorder), `x.y(args)` records a call.
class Recorder
  def initialize
    @values = {}
    @calls = []
  end
  attr_reader :values, :calls

  def respond_to_missing?(_name, _private = false) = true

  # Hash-like settings (vmware's vmx["memsize"] = "2048").
  def []=(key, value)
    @values[key.to_s] = value
  end

  def [](key) = @values[key.to_s]

  def method_missing(name, *args, **kwargs, &block)
    key = name.to_s
    if key.end_with?("=")
      @values[key.chomp("=")] = args.first
    elsif args.empty? && kwargs.empty? && block.nil?
      @values[key] ||= Recorder.new
    else
      @calls << [key, args, kwargs]
      nil
    end
  end

  def to_h
    @values.transform_values { |v| v.is_a?(Recorder) ? v.to_h : v }.merge(@calls.empty? ? {} : { "_calls" => @calls })
  end
end

class VMConfig < Recorder
  def initialize(providers)
    super()
    @providers = providers
    @networks = []
    @synced = []
    @provisions = []
  end
  attr_reader :networks, :synced, :provisions

  def network(type, **opts) = @networks << opts.merge(type: type)

  def synced_folder(src, dst, **opts) = @synced << opts.merge(src: src, dst: dst)

  def provision(name, **opts) = @provisions << opts.merge(name: name)

  def provider(name, &block) = @providers << [name.to_s, block]
end

class Config
  def initialize
    @providers = []
    @vm = VMConfig.new(@providers)
    @ssh = Recorder.new
  end
  attr_reader :vm, :ssh, :providers
end

module Vagrant
  @configs = []
  class << self
    attr_reader :configs

    def configure(version)
      raise "Vagrant.configure(#{version.inspect}): the lab's Vagrantfile is version \"2\"" unless version.to_s == "2"
      c = Config.new
      yield c
      @configs << c
    end
  end
end

path = ARGV.fetch(0)
eval(File.read(path), TOPLEVEL_BINDING, path)
raise "no Vagrant.configure block" if Vagrant.configs.empty?

out = {}
config = Vagrant.configs.last
config.providers.each do |name, block|
  # Each provider gets the common settings, then its block applied to a fresh provider object
  # and an override (a config whose settings replace the common ones, as Vagrant merges them).
  override = Config.new
  settings = Recorder.new
  block.arity == 2 ? block.call(settings, override) : block.call(settings)
  vm = config.vm
  synced = vm.synced.reject { |s| override.vm.synced.any? { |o| o[:dst] == s[:dst] } } + override.vm.synced
  out[name] = {
    box: override.vm.values["box"] || vm.values["box"],
    box_architecture: vm.values["box_architecture"],
    hostname: vm.values["hostname"],
    network: vm.networks + override.vm.networks,
    synced_folders: synced,
    provision: vm.provisions + override.vm.provisions,
    ssh: config.ssh.to_h,
    provider: settings.to_h,
  }
end
puts JSON.pretty_generate(out)
