defmodule Weatherstation.BME280 do
  @moduledoc """
  A Bosch BME280 over `Kos.I2C`, per its datasheet (BST-BME280-DS002): chip id check,
  calibration read-out, forced-mode measurements and the datasheet's integer
  compensation (section 4.2.3), giving °C, hPa and %RH.
  """

  import Bitwise

  @chip_id 0x60
  @reg_id 0xD0
  @reg_reset 0xE0
  @reg_ctrl_hum 0xF2
  @reg_status 0xF3
  @reg_ctrl_meas 0xF4
  @reg_config 0xF5
  @reg_data 0xF7
  @reg_calib_tp 0x88
  @reg_calib_h 0xE1

  # Oversampling ×1 for each quantity, forced mode: one conversion per trigger.
  @ctrl_hum 0b001
  @ctrl_meas 0b001 <<< 5 ||| 0b001 <<< 2 ||| 0b01
  # Datasheet 9.1: t_measure,max = 1.25 + 2.3·1 + (2.3·1 + 0.575) + (2.3·1 + 0.575) ms.
  @measure_ms 10

  defstruct [:bus, :address, :calibration]

  @type t :: %__MODULE__{}
  @type reading :: %{temperature_c: float(), pressure_hpa: float(), humidity_rh: float()}

  @doc """
  Checks the chip at `address`, resets it, reads its calibration and configures it.
  """
  @spec init(Kos.I2C.bus(), 0..0x7F) :: {:ok, t()} | {:error, term()}
  def init(bus, address) do
    with {:ok, <<@chip_id>>} <- Kos.I2C.write_read(bus, address, <<@reg_id>>, 1),
         :ok <- Kos.I2C.write(bus, address, <<@reg_reset, 0xB6>>),
         # The NVM copy after reset takes 2 ms (status.im_update).
         :ok <- Process.sleep(3),
         {:ok, tp} <- Kos.I2C.write_read(bus, address, <<@reg_calib_tp>>, 26),
         {:ok, h} <- Kos.I2C.write_read(bus, address, <<@reg_calib_h>>, 7),
         # ctrl_hum takes effect only with the next ctrl_meas write (datasheet 5.4.3).
         :ok <- Kos.I2C.write(bus, address, <<@reg_ctrl_hum, @ctrl_hum, @reg_config, 0>>) do
      {:ok, %__MODULE__{bus: bus, address: address, calibration: calibration(tp, h)}}
    else
      {:ok, <<other>>} -> {:error, {:not_a_bme280, other}}
      {:error, _} = error -> error
    end
  end

  @doc "Triggers one forced-mode conversion and returns the compensated reading."
  @spec measure(t()) :: {:ok, reading()} | {:error, term()}
  def measure(%__MODULE__{bus: bus, address: a} = s) do
    with :ok <- Kos.I2C.write(bus, a, <<@reg_ctrl_meas, @ctrl_meas>>),
         :ok <- Process.sleep(@measure_ms),
         :ok <- wait_idle(bus, a, 5),
         {:ok, <<p::20, _::4, t::20, _::4, h::16>>} <-
           Kos.I2C.write_read(bus, a, <<@reg_data>>, 8) do
      {:ok, compensate(t, p, h, s.calibration)}
    end
  end

  # status.measuring (bit 3) is set while a conversion runs.
  defp wait_idle(_bus, _a, 0), do: {:error, :still_measuring}

  defp wait_idle(bus, a, tries) do
    case Kos.I2C.write_read(bus, a, <<@reg_status>>, 1) do
      {:ok, <<status>>} when (status &&& 0x08) == 0 ->
        :ok

      {:ok, _} ->
        Process.sleep(2)
        wait_idle(bus, a, tries - 1)

      error ->
        error
    end
  end

  @doc "The calibration words from registers 0x88–0xA1 (26 bytes) and 0xE1–0xE7 (7)."
  @spec calibration(binary(), binary()) :: map()
  def calibration(
        <<t1::little-16, t2::little-signed-16, t3::little-signed-16, p1::little-16,
          p2::little-signed-16, p3::little-signed-16, p4::little-signed-16, p5::little-signed-16,
          p6::little-signed-16, p7::little-signed-16, p8::little-signed-16, p9::little-signed-16,
          _, h1>>,
        <<h2::little-signed-16, h3, e4::signed, e5, e6::signed, h6::signed>>
      ) do
    %{
      t1: t1,
      t2: t2,
      t3: t3,
      p1: p1,
      p2: p2,
      p3: p3,
      p4: p4,
      p5: p5,
      p6: p6,
      p7: p7,
      p8: p8,
      p9: p9,
      h1: h1,
      h2: h2,
      h3: h3,
      # dig_H4 and dig_H5 are 12-bit values sharing register 0xE5.
      h4: e4 * 16 ||| (e5 &&& 0x0F),
      h5: e6 * 16 ||| e5 >>> 4,
      h6: h6
    }
  end

  @doc """
  The datasheet's integer compensation of raw `adc_T`, `adc_P`, `adc_H`: returns
  °C, hPa and %RH. A skipped measurement (0x80000 / 0x8000) raises no error but
  gives nonsense, so measurements are never skipped here.
  """
  @spec compensate(integer(), integer(), integer(), map()) :: reading()
  def compensate(adc_t, adc_p, adc_h, c) do
    {t_fine, centi_c} = temperature(adc_t, c)

    %{
      temperature_c: centi_c / 100,
      pressure_hpa: pressure(adc_p, t_fine, c) / 256 / 100,
      humidity_rh: humidity(adc_h, t_fine, c) / 1024
    }
  end

  @doc "Temperature: `{t_fine, hundredths of °C}` (datasheet 4.2.3)."
  @spec temperature(integer(), map()) :: {integer(), integer()}
  def temperature(adc_t, c) do
    var1 = (((adc_t >>> 3) - (c.t1 <<< 1)) * c.t2) >>> 11
    d = (adc_t >>> 4) - c.t1
    var2 = (((d * d) >>> 12) * c.t3) >>> 14
    t_fine = var1 + var2
    {t_fine, (t_fine * 5 + 128) >>> 8}
  end

  @doc "Pressure in Pa as Q24.8 (datasheet 4.2.3, 64-bit version)."
  @spec pressure(integer(), integer(), map()) :: integer()
  def pressure(adc_p, t_fine, c) do
    var1 = t_fine - 128_000
    var2 = var1 * var1 * c.p6
    var2 = var2 + ((var1 * c.p5) <<< 17)
    var2 = var2 + (c.p4 <<< 35)
    var1 = ((var1 * var1 * c.p3) >>> 8) + ((var1 * c.p2) <<< 12)
    var1 = (((1 <<< 47) + var1) * c.p1) >>> 33

    if var1 == 0 do
      0
    else
      p = 1_048_576 - adc_p
      p = div(((p <<< 31) - var2) * 3125, var1)
      var1 = (c.p9 * (p >>> 13) * (p >>> 13)) >>> 25
      var2 = (c.p8 * p) >>> 19
      ((p + var1 + var2) >>> 8) + (c.p7 <<< 4)
    end
  end

  @doc "Humidity in %RH as Q22.10 (datasheet 4.2.3)."
  @spec humidity(integer(), integer(), map()) :: integer()
  def humidity(adc_h, t_fine, c) do
    v = t_fine - 76_800

    v =
      (((adc_h <<< 14) - (c.h4 <<< 20) - c.h5 * v + 16_384) >>> 15) *
        (((((((v * c.h6) >>> 10) * (((v * c.h3) >>> 11) + 32_768)) >>> 10) + 2_097_152) * c.h2 +
            8192) >>> 14)

    v = v - (((((v >>> 15) * (v >>> 15)) >>> 7) * c.h1) >>> 4)
    v |> max(0) |> min(419_430_400) |> Bitwise.>>>(12)
  end
end
